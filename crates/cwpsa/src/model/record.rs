//! The machinery behind every model (the generated ones and [`RecordInfo`]):
//!
//! - [`record!`]: a struct of optional fields and `extra`, decoded in one pass (serde's
//!   `flatten` would buffer every record into an intermediate tree first, several times
//!   slower), where a value that does not fit its declared type (a decimal in an integer
//!   field, a string where a number was declared) or is `null` is kept in `extra` under its
//!   name instead of failing the record, so that re-encoding loses nothing; a set typed field
//!   wins over a kept value of the same name when encoding;
//! - [`open_enum!`]: a string enum whose `Unknown(String)` keeps values it does not list;
//! - [`reference_ids!`]: `XReference::id(5)`, the `{"id": 5}` a write needs.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::value::{
    BoolDeserializer, BorrowedStrDeserializer, F64Deserializer, I64Deserializer,
    MapAccessDeserializer, SeqAccessDeserializer, StrDeserializer, U64Deserializer,
};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

/// A map key or string, borrowed from the input when it has no escapes (serde's own `Cow`
/// impl always copies).
pub(crate) struct Text<'de>(pub(crate) Cow<'de, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Text<'de>, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        d.deserialize_str(TextVisitor)
    }
}

/// A field's value: of its declared type, or kept as sent.
pub(crate) enum Lenient<T> {
    Typed(T),
    Kept(Value),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Lenient<T>, D::Error> {
        d.deserialize_any(LenientVisitor(PhantomData))
    }
}

struct LenientVisitor<T>(PhantomData<T>);

impl<T> LenientVisitor<T> {
    /// A scalar decoded as `T`, or kept when it does not fit.
    fn scalar<E>(decoded: Result<T, E>, raw: impl FnOnce() -> Value) -> Lenient<T> {
        match decoded {
            Ok(v) => Lenient::Typed(v),
            Err(_) => Lenient::Kept(raw()),
        }
    }
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for LenientVisitor<T> {
    type Value = Lenient<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Lenient<T>, E> {
        Ok(Self::scalar(
            T::deserialize(BoolDeserializer::<E>::new(v)),
            || Value::Bool(v),
        ))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Lenient<T>, E> {
        Ok(Self::scalar(
            T::deserialize(I64Deserializer::<E>::new(v)),
            || Value::from(v),
        ))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Lenient<T>, E> {
        Ok(Self::scalar(
            T::deserialize(U64Deserializer::<E>::new(v)),
            || Value::from(v),
        ))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Lenient<T>, E> {
        Ok(Self::scalar(
            T::deserialize(F64Deserializer::<E>::new(v)),
            || Value::from(v),
        ))
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Lenient<T>, E> {
        Ok(Self::scalar(
            T::deserialize(BorrowedStrDeserializer::<E>::new(v)),
            || Value::from(v),
        ))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Lenient<T>, E> {
        Ok(Self::scalar(
            T::deserialize(StrDeserializer::<E>::new(v)),
            || Value::from(v),
        ))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Lenient<T>, E> {
        Ok(Lenient::Kept(Value::Null))
    }

    fn visit_none<E: de::Error>(self) -> Result<Lenient<T>, E> {
        Ok(Lenient::Kept(Value::Null))
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Lenient<T>, D::Error> {
        Lenient::deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Lenient<T>, A::Error> {
        T::deserialize(SeqAccessDeserializer::new(seq)).map(Lenient::Typed)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Lenient<T>, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map)).map(Lenient::Typed)
    }
}

/// Stores a decoded field: in its slot, or kept in `extra`.
#[inline]
pub(crate) fn keep<T>(
    slot: &mut Option<T>,
    extra: &mut Map<String, Value>,
    key: Cow<'_, str>,
    value: Lenient<T>,
) {
    match value {
        Lenient::Typed(v) => *slot = Some(v),
        Lenient::Kept(v) => {
            extra.insert(key.into_owned(), v);
        }
    }
}

/// `Display` of a record: its JSON, with the values of secret fields replaced by `***`.
pub(crate) fn display_json(
    record: &impl Serialize,
    secrets: &[&str],
    f: &mut fmt::Formatter<'_>,
) -> fmt::Result {
    let mut value = serde_json::to_value(record).map_err(|_| fmt::Error)?;
    if let Value::Object(map) = &mut value {
        for key in secrets {
            if let Some(v) = map.get_mut(*key) {
                *v = Value::from("***");
            }
        }
    }
    write!(f, "{value}")
}

/// Serializes a string enum's text.
pub(crate) fn serialize_text<S: Serializer>(text: &str, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(text)
}

macro_rules! record {
    (
        $(#[$meta:meta])*
        $name:ident {
            $($field:ident : $ty:ty = $key:literal),* $(,)?
        }
        secret: [$($secret:literal),* $(,)?]
    ) => {
        $(#[$meta])*
        ///
        /// Every field is optional (a `fields` selection returns any subset); `extra` keeps
        /// what the type does not model, so that decoding never fails on a new field and
        /// re-encoding loses nothing.
        #[derive(Clone, Default, PartialEq)]
        pub struct $name {
            $(pub $field: Option<$ty>,)*
            /// Fields this version of the crate does not model, values that did not fit their
            /// declared type, and `null`s, as sent.
            pub extra: serde_json::Map<String, serde_json::Value>,
        }

        impl $name {
            /// Wire names whose values `Debug` and `Display` hide.
            const SECRETS: &'static [&'static str] = &[$($secret),*];
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<$name, D::Error> {
                struct RecordVisitor;
                impl<'de> serde::de::Visitor<'de> for RecordVisitor {
                    type Value = $name;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str(concat!("a ", stringify!($name), " object"))
                    }
                    fn visit_map<A: serde::de::MapAccess<'de>>(
                        self,
                        mut map: A,
                    ) -> Result<$name, A::Error> {
                        let mut record = $name::default();
                        while let Some($crate::model::record::Text(key)) = map.next_key()? {
                            #[allow(clippy::match_single_binding)]
                            match &*key {
                                $($key => $crate::model::record::keep(
                                    &mut record.$field,
                                    &mut record.extra,
                                    key,
                                    map.next_value()?,
                                ),)*
                                _ => {
                                    let value = map.next_value()?;
                                    record.extra.insert(key.into_owned(), value);
                                }
                            }
                        }
                        Ok(record)
                    }
                }
                d.deserialize_map(RecordVisitor)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeMap as _;
                let mut map = s.serialize_map(None)?;
                $(if let Some(value) = &self.$field {
                    map.serialize_entry($key, value)?;
                })*
                for (key, value) in &self.extra {
                    #[allow(clippy::match_single_binding)]
                    let shadowed = match key.as_str() {
                        $($key => self.$field.is_some(),)*
                        _ => false,
                    };
                    if !shadowed {
                        map.serialize_entry(key, value)?;
                    }
                }
                map.end()
            }
        }

        /// The fields that are set, by wire name; secrets as `***`.
        impl std::fmt::Debug for $name {
            #[inline]
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                let mut d = f.debug_struct(stringify!($name));
                $(if let Some(value) = &self.$field {
                    if Self::SECRETS.contains(&$key) {
                        d.field($key, &"***");
                    } else {
                        d.field($key, value);
                    }
                })*
                if !self.extra.is_empty() {
                    d.field("extra", &self.extra);
                }
                d.finish()
            }
        }

        /// The record as JSON; secrets as `***`.
        impl std::fmt::Display for $name {
            #[inline]
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                $crate::model::record::display_json(self, Self::SECRETS, f)
            }
        }
    };
}
pub(crate) use record;

macro_rules! open_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($variant,)*
            /// A value the description does not list, as sent.
            Unknown(String),
        }

        impl $name {
            /// The value as the API spells it.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $text,)*
                    $name::Unknown(s) => s,
                }
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> $name {
                // Exact: a value in another case is kept as sent, so re-encoding is lossless.
                match s {
                    $($text => $name::$variant,)*
                    other => $name::Unknown(other.to_owned()),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                $crate::model::record::serialize_text(self.as_str(), s)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<$name, D::Error> {
                let $crate::model::record::Text(s) = serde::Deserialize::deserialize(d)?;
                Ok($name::from(s.as_ref()))
            }
        }
    };
}
pub(crate) use open_enum;

macro_rules! reference_ids {
    ($($(#[$meta:meta])* $name:ident),* $(,)?) => {
        $(
            $(#[$meta])*
            impl $name {
                /// `{"id": id}`: what a write needs to point at a record.
                pub fn id(id: i64) -> $name {
                    $name {
                        id: Some(id),
                        ..$name::default()
                    }
                }
            }
        )*
    };
}
pub(crate) use reference_ids;

record! {
    /// `_info`: a record's bookkeeping strings (`lastUpdated`, `updatedBy`, `*_href`...).
    RecordInfo {
        last_updated: String = "lastUpdated",
        updated_by: String = "updatedBy",
        date_entered: String = "dateEntered",
        entered_by: String = "enteredBy",
    }
    secret: []
}
