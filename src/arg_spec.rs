//! What an argument (of a step kind, or a model setting) is: its name, type,
//! range and one line of docs. The checker reads these to check every value.

/// What the positional arguments of a kind are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Positional {
    /// One string: a file path or a stdlib name.
    Location,
    /// Record streams (step or source names, `a + b` for a union), at least `min`.
    Records { min: usize, max: usize },
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ArgType {
    Int {
        min: i64,
        max: i64,
    },
    Float {
        min: f64,
        max: f64,
    },
    Bool,
    Str,
    /// A list of strings (`["http://a/v1", "http://b/v1"]`).
    StrList,
    /// One of fixed words; written bare (`format: chat`) or quoted.
    Enum(&'static [&'static str]),
    /// A record field the step reads; written bare or quoted. The checker
    /// makes sure an upstream step provides it.
    FieldIn,
    /// A record field the step writes (or, on a source, one of its own fields).
    FieldOut,
    /// A map of record field → dataset column.
    FieldMap,
    /// A list of fields the step reads.
    FieldList,
    /// Another node of the workflow.
    Node,
    /// A source (lineage root) of the workflow.
    Source,
    Model,
    /// A prompt template: a stdlib/workflow-relative name, or inline with `{{ }}`.
    Template,
    /// A record expression evaluated per record.
    Filter,
    /// A reply shape (`{same_answer: bool}`, `"yes" | "no"`, a named `shape`).
    Shape,
}

#[derive(Debug, Clone, Copy)]
pub struct ArgSpec {
    pub name: &'static str,
    pub ty: ArgType,
    pub required: bool,
    pub doc: &'static str,
}

pub const fn arg(name: &'static str, ty: ArgType, doc: &'static str) -> ArgSpec {
    ArgSpec {
        name,
        ty,
        required: false,
        doc,
    }
}

pub const fn required(name: &'static str, ty: ArgType, doc: &'static str) -> ArgSpec {
    ArgSpec {
        name,
        ty,
        required: true,
        doc,
    }
}
