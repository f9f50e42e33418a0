//! A JSON Schema validator for the keywords the project's schemas use
//! (`type`, `properties`, `required`, `items`, `enum`, `pattern`,
//! `minimum`, `anyOf`, `allOf`, `$ref` into `$defs`); any other keyword
//! fails, so a schema cannot say more than is checked.

use serde_json::Value;

/// The places in `value` where it breaks `schema` (empty when valid).
pub fn validate(root: &Value, value: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    check(root, root, value, "$", &mut errors);
    errors
}

fn type_ok(name: &str, v: &Value) -> bool {
    match name {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        other => panic!("unknown type `{other}` in the schema"),
    }
}

fn check(root: &Value, schema: &Value, v: &Value, at: &str, errors: &mut Vec<String>) {
    let Some(s) = schema.as_object() else {
        panic!("a schema that is not an object at {at}");
    };
    for (k, rule) in s {
        match k.as_str() {
            "$schema" | "$id" | "title" | "description" | "$defs" => {}
            "$ref" => {
                let name = rule
                    .as_str()
                    .and_then(|r| r.strip_prefix("#/$defs/"))
                    .expect("refs are #/$defs/NAME");
                let target = &root["$defs"][name];
                assert!(!target.is_null(), "no $defs/{name}");
                check(root, target, v, at, errors);
            }
            "allOf" => {
                for sub in rule.as_array().expect("allOf is a list") {
                    check(root, sub, v, at, errors);
                }
            }
            "anyOf" => {
                let subs = rule.as_array().expect("anyOf is a list");
                let all: Vec<Vec<String>> = subs
                    .iter()
                    .map(|sub| {
                        let mut e = Vec::new();
                        check(root, sub, v, at, &mut e);
                        e
                    })
                    .collect();
                if all.iter().all(|e| !e.is_empty()) {
                    errors.push(format!("{at}: matches no alternative: {all:?}"));
                }
            }
            "type" => {
                let ok = match rule {
                    Value::String(t) => type_ok(t, v),
                    Value::Array(ts) => ts.iter().any(|t| type_ok(t.as_str().unwrap(), v)),
                    _ => panic!("bad type at {at}"),
                };
                if !ok {
                    errors.push(format!("{at}: {v} is not of type {rule}"));
                }
            }
            "enum" => {
                if !rule.as_array().unwrap().contains(v) {
                    errors.push(format!("{at}: {v} is not one of {rule}"));
                }
            }
            "required" => {
                if let Some(o) = v.as_object() {
                    for r in rule.as_array().unwrap() {
                        if !o.contains_key(r.as_str().unwrap()) {
                            errors.push(format!("{at}: `{}` is required", r.as_str().unwrap()));
                        }
                    }
                }
            }
            "properties" => {
                if let Some(o) = v.as_object() {
                    for (name, sub) in rule.as_object().unwrap() {
                        if let Some(x) = o.get(name) {
                            check(root, sub, x, &format!("{at}.{name}"), errors);
                        }
                    }
                }
            }
            "items" => {
                if let Some(a) = v.as_array() {
                    for (i, x) in a.iter().enumerate() {
                        check(root, rule, x, &format!("{at}[{i}]"), errors);
                    }
                }
            }
            "pattern" => {
                if let Some(t) = v.as_str() {
                    let re = regex::Regex::new(rule.as_str().unwrap()).unwrap();
                    if !re.is_match(t) {
                        errors.push(format!("{at}: {t:?} does not match {rule}"));
                    }
                }
            }
            "minimum" => {
                if let (Some(n), Some(min)) = (v.as_f64(), rule.as_f64()) {
                    if n < min {
                        errors.push(format!("{at}: {n} is below {min}"));
                    }
                }
            }
            other => panic!("the schema uses `{other}`, which this validator does not check"),
        }
    }
}
