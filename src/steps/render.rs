//! `render(inputs, template: …, into: field)`: writes a template's output into a
//! field of each record, with no model call. ReGenesis builds its training text
//! this way: `{{ path | from_numbered_steps }}` after "Let's think step by step.".

use super::*;

const ARGS: &[ArgSpec] = &[
    required("template", ArgType::Template, "template name (`regenesis/train_assistant`) or inline text with {{ field }}"),
    arg("into", ArgType::FieldOut, "field that receives the text (default: the step name)"),
];

#[derive(Debug)]
pub struct Render;

/// `render`'s `into:`, typed: the field that receives the text.
struct RenderInto(String);

impl StepKind for Render {
    fn name(&self) -> &'static str {
        "render"
    }
    fn decl(&self) -> DeclKind {
        DeclKind::Step
    }
    fn role(&self) -> &'static str {
        "template text"
    }
    fn positional(&self) -> Positional {
        Positional::Records { min: 1, max: usize::MAX }
    }
    fn args(&self) -> &'static [ArgSpec] {
        ARGS
    }
    fn configure(&self, node: &NodeDef) -> StepSettings {
        // The field that receives the text.
        StepSettings::new(RenderInto(into_field(node)))
    }
    fn adds(&self, node: &NodeDef, _wf: &Workflow) -> Vec<String> {
        vec![node.settings::<RenderInto>().0.clone()]
    }
    fn map(&self, step: usize, node: &NodeDef, _wf: &Workflow, r: &Arc<Rec>, _side: &[Arc<Rec>], env: &dyn StepEnv) -> Vec<Rec> {
        match env.render(step, "template", &r.fields) {
            Ok(text) => vec![child(r, &node.name, [(node.settings::<RenderInto>().0.clone(), Value::String(text))])],
            Err(e) => {
                env.template_failed(step, r, e.to_string());
                vec![]
            }
        }
    }
}
