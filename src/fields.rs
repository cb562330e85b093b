//! Documented configuration structs, declared once.
//!
//! [`config_struct!`] declares a serde struct whose every field carries a doc
//! comment and (optionally) a default. From that single declaration it derives
//! strict deserialization (unknown fields are errors, fields without a default
//! are required), serialization for round trips, and the [`FieldDoc`] table that
//! `shardwise list` prints. Nothing here knows about stages or pipelines.

/// One documented field of a config struct.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldDoc {
    pub name: &'static str,
    /// Rust type, as written in the declaration (`Option<usize>`).
    pub ty: String,
    /// The default rendered as TOML, or `None` when the field is required.
    pub default: Option<String>,
    pub doc: String,
}

/// Config structs declared with [`config_struct!`].
pub trait Documented {
    /// The struct's own doc comment.
    fn doc() -> String;
    /// Every field, in declaration order.
    fn fields() -> Vec<FieldDoc>;
}

/// Joins the lines of a doc comment into one paragraph.
pub fn join_doc(lines: &[&str]) -> String {
    lines
        .iter()
        .map(|l| l.trim())
        .collect::<Vec<_>>()
        .join(" ")
        .trim()
        .to_string()
}

/// Renders a default value for documentation (`none` for an absent option).
pub fn render_default<T: serde::Serialize>(v: &T) -> String {
    match toml::Value::try_from(v) {
        Ok(toml::Value::String(s)) => format!("{s:?}"),
        Ok(v) => v.to_string(),
        Err(_) => "none".to_string(),
    }
}

/// Tidies `stringify!` output of a type (`Option < usize >` → `Option<usize>`).
pub fn tidy_type(s: &str) -> String {
    s.replace(" <", "<")
        .replace("< ", "<")
        .replace(" >", ">")
        .replace(" ,", ",")
}

/// Declares a documented config struct; see the module docs.
///
/// ```text
/// config_struct! {
///     /// Drops documents by length.
///     pub struct LengthConfig {
///         /// Minimum characters.
///         pub min_chars: usize = 0,
///         /// Required: no default.
///         pub path: String,
///     }
/// }
/// ```
#[macro_export]
macro_rules! config_struct {
    (
        $(#[doc = $sdoc:literal])*
        pub struct $name:ident {
            $(
                $(#[doc = $fdoc:literal])*
                pub $field:ident : $ty:ty $(= $default:expr)?
            ),* $(,)?
        }
    ) => {
        $(#[doc = $sdoc])*
        #[derive(Debug, Clone, PartialEq, serde::Serialize)]
        pub struct $name {
            $(
                $(#[doc = $fdoc])*
                pub $field: $ty,
            )*
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                #[derive(serde::Deserialize)]
                #[serde(deny_unknown_fields)]
                struct Raw {
                    $(
                        #[serde(default)]
                        $field: Option<$ty>,
                    )*
                }
                let raw = Raw::deserialize(d)?;
                Ok(Self {
                    $(
                        $field: match raw.$field {
                            Some(v) => v,
                            None => $crate::config_struct!(@default $field $(, $default)?),
                        },
                    )*
                })
            }
        }

        impl $crate::fields::Documented for $name {
            fn doc() -> String {
                $crate::fields::join_doc(&[$($sdoc),*])
            }

            fn fields() -> Vec<$crate::fields::FieldDoc> {
                vec![$(
                    $crate::fields::FieldDoc {
                        name: stringify!($field).trim_start_matches("r#"),
                        ty: $crate::fields::tidy_type(stringify!($ty)),
                        default: $crate::config_struct!(@render $ty $(, $default)?),
                        doc: $crate::fields::join_doc(&[$($fdoc),*]),
                    },
                )*]
            }
        }

        impl $name {
            /// Whether every field has a default (the struct may be omitted).
            #[allow(dead_code)]
            pub fn all_defaulted() -> bool {
                true $(&& $crate::config_struct!(@has $($default)?))*
            }
        }
    };
    (@default $field:ident, $default:expr) => { $default };
    (@default $field:ident) => {
        return Err(<D::Error as serde::de::Error>::missing_field(stringify!($field)))
    };
    (@render $ty:ty, $default:expr) => {{
        let v: $ty = $default;
        Some($crate::fields::render_default(&v))
    }};
    (@render $ty:ty) => { None };
    (@has $default:expr) => { true };
    (@has) => { false };
}

/// Builds a default struct from an empty table; only for structs whose fields all
/// have defaults.
pub fn defaults<T: serde::de::DeserializeOwned>() -> T {
    toml::from_str("").expect("every field has a default")
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::config_struct! {
        /// A test struct.
        pub struct Demo {
            /// How many.
            /// Second line.
            pub count: usize = 3,
            /// Optional thing.
            pub name: Option<String> = None,
            /// Required path.
            pub path: String,
        }
    }

    #[test]
    fn defaults_fill_missing_fields_and_required_ones_are_enforced() {
        let d: Demo = toml::from_str("path = 'x'").unwrap();
        assert_eq!(d.count, 3);
        assert_eq!(d.name, None);
        let err = toml::from_str::<Demo>("count = 1").unwrap_err();
        assert!(err.message().contains("missing field `path`"), "{err}");
        let err = toml::from_str::<Demo>("path = 'x'\ncont = 1").unwrap_err();
        assert!(err.message().contains("unknown field `cont`"), "{err}");
    }

    #[test]
    fn docs_come_from_the_declaration() {
        assert_eq!(Demo::doc(), "A test struct.");
        let f = Demo::fields();
        assert_eq!(f[0].name, "count");
        assert_eq!(f[0].doc, "How many. Second line.");
        assert_eq!(f[0].default.as_deref(), Some("3"));
        assert_eq!(f[1].ty, "Option<String>");
        assert_eq!(f[1].default.as_deref(), Some("none"));
        assert_eq!(f[2].default, None);
        assert!(!Demo::all_defaulted());
    }
}
