//! A workflow param's declared type (`param n: int = 3`), and whether a value fits it.

use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamType {
    Int,
    Float,
    Bool,
    String,
    Path,
}

impl ParamType {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "int" => ParamType::Int,
            "float" => ParamType::Float,
            "bool" => ParamType::Bool,
            "string" => ParamType::String,
            "path" => ParamType::Path,
            _ => return None,
        })
    }
    pub fn name(self) -> &'static str {
        match self {
            ParamType::Int => "int",
            ParamType::Float => "float",
            ParamType::Bool => "bool",
            ParamType::String => "string",
            ParamType::Path => "path",
        }
    }
    pub fn of(v: &Value) -> Option<Self> {
        match v {
            Value::Bool(_) => Some(ParamType::Bool),
            Value::Number(n) if n.is_i64() || n.is_u64() => Some(ParamType::Int),
            Value::Number(_) => Some(ParamType::Float),
            Value::String(_) => Some(ParamType::String),
            _ => None,
        }
    }
    pub fn accepts(self, v: &Value) -> bool {
        match (self, ParamType::of(v)) {
            (ParamType::Float, Some(ParamType::Int)) => true,
            (ParamType::Path, Some(ParamType::String)) => true,
            (a, Some(b)) => a == b,
            _ => false,
        }
    }
}
