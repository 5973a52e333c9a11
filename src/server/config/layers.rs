//! Reading the settings: the file's TOML table, the environment's values written over it (the
//! table in `env.rs` says where), then each `[section]` deserialised by its own struct. Every
//! value goes through the section's `Deserialize`, whichever layer it came from, and an error
//! names its place: the file and `section.key`, or the variable.

use std::{fmt, str::FromStr};

use serde::de::{
    self, value::SeqDeserializer, DeserializeOwned, DeserializeSeed, Deserializer,
    IntoDeserializer, MapAccess, Visitor,
};

use super::{
    env::{self, EnvSource},
    ConfigError,
};

/// The sections a settings file may have.
pub(super) const SECTIONS: &[&str] = &[
    "app",
    "database",
    "session",
    "http",
    "auth",
    "oauth",
    "api",
    "mail",
    "rate_limits",
    "tasks",
    "log",
];

/// The lists of tables a settings file may have, `[[name]]`: each entry is one of a kind.
pub(super) const LISTS: &[&str] = &["oidc"];

/// The file's table with the environment written over it.
pub(super) struct Layers {
    /// How messages name the file: its path, or `config file` for a string.
    file: String,
    table: toml::Table,
    /// `(section, key, variable)` of each value the environment gave.
    from_env: Vec<(&'static str, &'static str, &'static str)>,
}

impl Layers {
    /// Parses the file. Only known sections, each a table, get further.
    pub(super) fn parse(file: &str, text: &str) -> Result<Layers, ConfigError> {
        let table: toml::Table = toml::from_str(text)
            .map_err(|e| ConfigError(format!("{file}: {}", e.to_string().trim_end())))?;
        for (name, value) in &table {
            if LISTS.contains(&name.as_str()) {
                let entries = value.as_array().filter(|a| a.iter().all(|v| v.is_table()));
                if entries.is_none() {
                    return Err(ConfigError(format!(
                        "{file}: `{name}` is a list of tables: write each entry as `[[{name}]]`"
                    )));
                }
                continue;
            }
            if !SECTIONS.contains(&name.as_str()) {
                return Err(ConfigError(format!(
                    "{file}: unknown section `{name}`; the sections are {}, and the lists {}",
                    SECTIONS.join(", "),
                    LISTS
                        .iter()
                        .map(|l| format!("[[{l}]]"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            if !value.is_table() {
                return Err(ConfigError(format!(
                    "{file}: `{name}` must be a section, `[{name}]`, not a value ({})",
                    value.type_str()
                )));
            }
        }
        Ok(Layers {
            file: file.to_owned(),
            table,
            from_env: Vec::new(),
        })
    }

    /// Writes each variable of `env::OVERRIDES` that `env` has over the file's value.
    pub(super) fn apply(&mut self, env: &impl EnvSource) -> Result<(), ConfigError> {
        for &(variable, path) in env::OVERRIDES {
            let Some(value) = env.var(variable) else {
                continue;
            };
            let (section, key) = path
                .split_once('.')
                .ok_or_else(|| ConfigError(format!("{variable} names no setting: `{path}`")))?;
            let table = self
                .table
                .entry(section)
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            if let Some(table) = table.as_table_mut() {
                table.insert(key.to_owned(), toml::Value::String(value));
                self.from_env.push((section, key, variable));
            }
        }
        Ok(())
    }

    /// Whether the file or the environment gives `section.key` (else its default applies).
    pub(super) fn is_set(&self, section: &str, key: &str) -> bool {
        self.table
            .get(section)
            .and_then(|s| s.as_table())
            .is_some_and(|s| s.contains_key(key))
    }

    /// Reads `[name]` into its struct; an absent section is all defaults.
    pub(super) fn section<T: DeserializeOwned + Default>(
        &self,
        name: &'static str,
    ) -> Result<T, ConfigError> {
        let Some(table) = self.table.get(name).and_then(|s| s.as_table()) else {
            return Ok(T::default());
        };
        T::deserialize(Section {
            layers: self,
            name,
            table,
        })
        .map_err(|e| self.error(name, e))
    }

    /// Reads each `[[name]]` entry into its struct, in the file's order; none is an empty list.
    /// The environment writes nothing here: an error names the file, the entry and the key.
    pub(super) fn entries<T: DeserializeOwned>(
        &self,
        name: &'static str,
    ) -> Result<Vec<T>, ConfigError> {
        let Some(entries) = self.table.get(name).and_then(|v| v.as_array()) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::with_capacity(entries.len());
        for (n, table) in entries.iter().filter_map(|v| v.as_table()).enumerate() {
            let entry = T::deserialize(Section {
                layers: self,
                name,
                table,
            })
            .map_err(|e| {
                let place = match &e.key {
                    Some(key) => format!("[[{name}]] number {}, `{key}`", n + 1),
                    None => format!("[[{name}]] number {}", n + 1),
                };
                ConfigError(format!("{}: {place}: {}", self.file, e.reason))
            })?;
            out.push(entry);
        }
        Ok(out)
    }

    /// How messages name the settings file.
    pub(super) fn file(&self) -> &str {
        &self.file
    }

    fn variable(&self, section: &str, key: &str) -> Option<&'static str> {
        self.from_env
            .iter()
            .find(|(s, k, _)| *s == section && *k == key)
            .map(|(_, _, variable)| *variable)
    }

    fn error(&self, section: &str, error: Error) -> ConfigError {
        let reason = error.reason;
        ConfigError(match error.key {
            None => format!("{}: [{section}]: {reason}", self.file),
            Some(key) => match self.variable(section, &key) {
                Some(variable) => {
                    format!("environment variable {variable} ({section}.{key}): {reason}")
                }
                None => format!("{}: {section}.{key}: {reason}", self.file),
            },
        })
    }
}

/// Deserialises a value of a type that parses from text (`FromStr`), its error being the
/// reason shown to the operator.
pub(super) fn from_str<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: fmt::Display,
{
    let text = <String as serde::Deserialize>::deserialize(d)?;
    text.parse().map_err(de::Error::custom)
}

/// A count that must be at least 1.
pub(super) fn at_least_one<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: serde::Deserialize<'de> + PartialEq + From<u8>,
{
    let n = T::deserialize(d)?;
    if n == T::from(0) {
        return Err(de::Error::custom("must be at least 1"));
    }
    Ok(n)
}

/// A deserialisation error, and the key it is about once known.
#[derive(Debug)]
pub(super) struct Error {
    reason: String,
    key: Option<String>,
}

impl Error {
    fn at(mut self, key: &str) -> Self {
        self.key.get_or_insert_with(|| key.to_owned());
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(reason: T) -> Self {
        Error {
            reason: reason.to_string(),
            key: None,
        }
    }

    fn unknown_field(_field: &str, expected: &'static [&'static str]) -> Self {
        de::Error::custom(format_args!(
            "unknown key; the keys of this section are {}",
            expected.join(", ")
        ))
    }
}

/// One `[section]`, handed to its struct's `Deserialize` as a map.
struct Section<'a> {
    layers: &'a Layers,
    name: &'static str,
    table: &'a toml::Table,
}

impl<'de> Deserializer<'de> for Section<'_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_map(Entries {
            layers: self.layers,
            section: self.name,
            entries: self.table.iter(),
            value: None,
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

/// The keys of a section and their values, each value read by the rules of its layer.
struct Entries<'a> {
    layers: &'a Layers,
    section: &'static str,
    entries: toml::map::Iter<'a, String, toml::Value>,
    value: Option<(&'a String, &'a toml::Value)>,
}

impl<'de> MapAccess<'de> for Entries<'_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some((key, value)) = self.entries.next() else {
            return Ok(None);
        };
        self.value = Some((key, value));
        seed.deserialize(key.as_str().into_deserializer())
            .map(Some)
            .map_err(|e: Error| e.at(key))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let Some((key, value)) = self.value.take() else {
            return Err(de::Error::custom("a value without its key"));
        };
        let from_env = self.layers.variable(self.section, key).is_some();
        let read = match value {
            toml::Value::String(text) if from_env => seed.deserialize(EnvText(text.clone())),
            value if has_datetime(value) => Err(de::Error::custom(
                "invalid type: date-time (put text in quotes)",
            )),
            value => seed
                .deserialize(value.clone())
                .map_err(|e| de::Error::custom(e.message())),
        };
        read.map_err(|e| e.at(key))
    }
}

/// TOML's date-times read as text through `toml::Value`, where the file alone reads them as an
/// error; no setting is one.
fn has_datetime(value: &toml::Value) -> bool {
    match value {
        toml::Value::Datetime(_) => true,
        toml::Value::Array(items) => items.iter().any(has_datetime),
        _ => false,
    }
}

/// A value from the environment: text, read as the setting asks. A number is trimmed; a switch
/// is `true`/`1`/`yes`/`on` or `false`/`0`/`no`/`off`; a list is comma-separated, its items
/// trimmed and empty ones dropped; anything else is the text as it is.
struct EnvText(String);

impl EnvText {
    fn number<T: FromStr>(&self) -> Result<T, Error> {
        self.0.trim().parse().map_err(|_| {
            de::Error::custom(format_args!("must be a whole number, not `{}`", self.0))
        })
    }
}

impl<'de> Deserializer<'de> for EnvText {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_string(self.0)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match env::parse_bool(&self.0) {
            Some(b) => visitor.visit_bool(b),
            None => Err(de::Error::custom(format_args!(
                "must be true or false, not `{}`",
                self.0
            ))),
        }
    }

    fn deserialize_u8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_u8(self.number()?)
    }

    fn deserialize_u16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_u16(self.number()?)
    }

    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_u32(self.number()?)
    }

    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_u64(self.number()?)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let items = self
            .0
            .split(',')
            .map(|item| item.trim().to_owned())
            .filter(|item| !item.is_empty());
        let mut seq = SeqDeserializer::<_, Error>::new(items);
        let value = visitor.visit_seq(&mut seq)?;
        seq.end()?;
        Ok(value)
    }

    serde::forward_to_deserialize_any! {
        i8 i16 i32 i64 i128 u128 f32 f64 char str string bytes byte_buf unit unit_struct
        tuple tuple_struct map struct enum identifier ignored_any
    }
}
