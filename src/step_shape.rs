//! How a step kind runs and what it yields, in plain facts the executor and
//! the plan read: its [`Shape`], its data format, its [`Estimate`].

/// How a step contributes to the static estimate, per source record.
#[derive(Debug, Clone, Copy, Default)]
pub struct Estimate {
    /// Records emitted per source record (an upper bound after filters).
    pub records: f64,
    /// LLM calls per source record.
    pub calls: f64,
    /// Whether `records` is an upper bound (a filter or a fallback is upstream).
    pub upper_bound: bool,
}

/// The file format a source reads or a sink writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataFormat {
    Jsonl,
    Parquet,
}

/// How the executor drives a step of a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Reads a dataset; has no inputs.
    Source,
    /// Fixed items another step pairs records with.
    Pool,
    /// One record in, zero or more out at once: [`StepKind::map`].
    PerRecord,
    /// Holds a source record's records until everything upstream of it is
    /// done, then emits: [`StepKind::holds`], [`StepKind::gather`].
    PerSourceRecord,
    /// One model call per record and sample: [`StepKind::samples`], [`StepKind::reply`].
    ModelCall,
    /// One call of the step's own code per record (or batch), in worker
    /// processes (`python` and `command` steps).
    FunctionCall,
    /// Writes records out.
    Sink,
}

impl Shape {
    /// How the docs say it.
    pub fn describe(self) -> &'static str {
        match self {
            Shape::Source => "reads a dataset",
            Shape::Pool => "fixed items",
            Shape::PerRecord => "per record",
            Shape::PerSourceRecord => "per source record, when its upstream is done",
            Shape::ModelCall => "a model call per record",
            Shape::FunctionCall => "your code per record, in worker processes",
            Shape::Sink => "writes records",
        }
    }
}

/// Sum of input records, and whether any is an upper bound.
pub fn sum_inputs(inputs: &[Estimate]) -> (f64, bool) {
    (
        inputs.iter().map(|e| e.records).sum(),
        inputs.iter().any(|e| e.upper_bound),
    )
}
