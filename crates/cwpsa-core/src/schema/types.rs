//! The schema data model: [`Schema`], [`Property`] and [`FieldType`].

use std::collections::HashMap;
use std::fmt;

/// The type of a property, mapped from the API description.
///
/// | JSON in the description                              | `FieldType`            |
/// |------------------------------------------------------|------------------------|
/// | `integer` (`int32`)                                  | `Integer`              |
/// | `number` (`double`)                                  | `Number`               |
/// | `string` (also `uuid`, `binary`, no format)          | `String { max_length }`|
/// | `string` + `format: date-time` or `date`             | `DateTime`             |
/// | `string` + `enum`                                    | `Enum(values)`         |
/// | `boolean`                                            | `Boolean`              |
/// | `$ref` to a schema named `...Reference`              | `Reference(schema)`    |
/// | `$ref` to any other schema                           | `Object(schema)`       |
/// | `array` + `items`                                    | `Array(item type)`     |
/// | `object` + `additionalProperties: {type..}`          | `Map(value type)`      |
/// | `object` + `additionalProperties: {}` (C# `object`), `{}` | `Any`             |
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldType {
    /// A whole number (`int32` in the description).
    Integer,
    /// A number with a fraction (`double`/`decimal`).
    Number,
    /// Text, with the maximum length the description gives (if any).
    String {
        /// Maximum length in characters.
        max_length: Option<u32>,
    },
    /// `true`/`false`.
    Boolean,
    /// A date-time (`2024-01-01T00:00:00Z`); date-only fields are mapped here too.
    DateTime,
    /// Text restricted to known values. Servers add values over time, so unknown values are
    /// not an error anywhere in this crate.
    Enum(Vec<String>),
    /// A reference to another record (`{"id":..,"name":..,"_info":{..}}`), by schema name.
    Reference(String),
    /// A nested object of the named schema that is not a reference.
    Object(String),
    /// A list of the element type.
    Array(Box<FieldType>),
    /// A map from arbitrary keys to the value type (e.g. `_info`, a map of strings).
    Map(Box<FieldType>),
    /// Anything (the description says nothing more precise).
    Any,
}

impl FieldType {
    /// The schema this type points at: a reference's or object's schema, or that of an array's
    /// element.
    pub fn schema_name(&self) -> Option<&str> {
        match self {
            FieldType::Reference(name) | FieldType::Object(name) => Some(name),
            FieldType::Array(item) => item.schema_name(),
            _ => None,
        }
    }

    /// True for types a C# server holds as value types (`int`, `double`, `bool`): only these
    /// can be non-nullable. Strings, dates, references and objects always admit `null`.
    pub fn is_value_type(&self) -> bool {
        matches!(
            self,
            FieldType::Integer | FieldType::Number | FieldType::Boolean
        )
    }

    /// For an enum, the known value matching `value` case-insensitively, in the API's
    /// spelling (`high` → `High`). `None` for an unknown value (which is still valid: servers
    /// add values) or a type that is not an enum.
    pub fn enum_value(&self, value: &str) -> Option<&str> {
        match self {
            FieldType::Enum(values) => values
                .iter()
                .find(|v| v.eq_ignore_ascii_case(value))
                .map(String::as_str),
            _ => None,
        }
    }

    /// True for types that hold text (`contains`/`like` apply): strings, enums and `Any`.
    pub fn is_textual(&self) -> bool {
        matches!(
            self,
            FieldType::String { .. } | FieldType::Enum(_) | FieldType::Any
        )
    }
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldType::Integer => f.write_str("integer"),
            FieldType::Number => f.write_str("number"),
            FieldType::String { .. } => f.write_str("string"),
            FieldType::Boolean => f.write_str("boolean"),
            FieldType::DateTime => f.write_str("date-time"),
            FieldType::Enum(values) => write!(f, "enum ({})", values.join(", ")),
            FieldType::Reference(name) => write!(f, "reference ({name})"),
            FieldType::Object(name) => write!(f, "object ({name})"),
            FieldType::Array(item) => write!(f, "list of {item}"),
            FieldType::Map(value) => write!(f, "map of {value}"),
            FieldType::Any => f.write_str("any value"),
        }
    }
}

/// One property of a schema.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Property {
    /// The name exactly as the API spells it (`closedFlag`, `_info`).
    pub name: String,
    /// Its type.
    pub ty: FieldType,
    /// `nullable: true` in the description. Note that the description only marks value types
    /// (integers, numbers, booleans, enums); use [`Property::accepts_null`] for "may be null".
    pub nullable: bool,
    /// Listed in the schema's `required` (or marked `requiredReference`).
    pub required: bool,
    /// `requiredOnUpdate: true` in the description (must be present on PUT).
    pub required_on_update: bool,
    /// Set by the server only: `_info` everywhere, and `id` on records (not on references,
    /// where `id` is how you point at a record, nor on custom field values).
    pub read_only: bool,
}

impl Property {
    /// Whether `null` is a valid value: marked nullable, or a type that is always nullable.
    pub fn accepts_null(&self) -> bool {
        self.nullable || !self.ty.is_value_type()
    }
}

/// A named schema of the API description, its properties in declaration order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schema {
    pub(crate) name: String,
    pub(crate) properties: Vec<Property>,
    pub(crate) additional_properties: bool,
    /// Lower-cased property name to index.
    pub(crate) index: HashMap<String, usize>,
}

impl Schema {
    pub(crate) fn new(
        name: String,
        properties: Vec<Property>,
        additional_properties: bool,
    ) -> Self {
        let index = properties
            .iter()
            .enumerate()
            .map(|(i, p)| (p.name.to_ascii_lowercase(), i))
            .collect();
        Schema {
            name,
            properties,
            additional_properties,
            index,
        }
    }

    /// The schema's name (`Ticket`, `CompanyReference`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The properties, in the order the description declares them.
    pub fn properties(&self) -> &[Property] {
        &self.properties
    }

    /// A property by name, case-insensitively.
    pub fn property(&self, name: &str) -> Option<&Property> {
        self.index
            .get(&name.to_ascii_lowercase())
            .and_then(|&i| self.properties.get(i))
    }

    /// Names of the properties the description marks required.
    pub fn required(&self) -> impl Iterator<Item = &str> {
        self.properties
            .iter()
            .filter(|p| p.required)
            .map(|p| p.name.as_str())
    }

    /// True when the description declares no properties and allows any (e.g.
    /// `GLExportSettings`): every key is accepted and has type [`FieldType::Any`].
    pub fn allows_any_property(&self) -> bool {
        self.additional_properties
    }
}
