//! The machinery behind every model, and [`RecordInfo`] (`_info`):
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

/// `_info`: a record's bookkeeping strings (`lastUpdated`, `updatedBy`, `dateEntered`,
/// `enteredBy`, and links such as `company_href`), kept in one buffer: a page of 1000 tickets
/// holds some 12,000 `_info` objects, and a map would allocate a node, a name and a value for
/// each entry. A value that is not a string (or is `null`) is kept in `extra`, so that
/// re-encoding loses nothing.
#[derive(Clone, Default, PartialEq)]
pub struct RecordInfo {
    /// The entries whose value is a string, in the order sent.
    pub entries: StringMap,
    /// The entries whose value is not a string, as sent.
    pub extra: Map<String, Value>,
}

impl RecordInfo {
    /// `lastUpdated`: when the record last changed (`2024-01-31T08:30:12Z`).
    pub fn last_updated(&self) -> Option<&str> {
        self.entries.get("lastUpdated")
    }

    /// `updatedBy`: who last changed the record.
    pub fn updated_by(&self) -> Option<&str> {
        self.entries.get("updatedBy")
    }

    /// `dateEntered`: when the record was created.
    pub fn date_entered(&self) -> Option<&str> {
        self.entries.get("dateEntered")
    }

    /// `enteredBy`: who created the record.
    pub fn entered_by(&self) -> Option<&str> {
        self.entries.get("enteredBy")
    }
}

impl<'de> Deserialize<'de> for RecordInfo {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<RecordInfo, D::Error> {
        struct InfoVisitor;
        impl<'de> Visitor<'de> for InfoVisitor {
            type Value = RecordInfo;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an _info object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RecordInfo, A::Error> {
                let mut info = RecordInfo::default();
                while let Some(Text(key)) = map.next_key()? {
                    match map.next_value()? {
                        Entry::Text(text) => info.entries.insert(&key, &text),
                        Entry::Other(value) => {
                            info.extra.insert(key.into_owned(), value);
                        }
                    }
                }
                Ok(info)
            }
        }
        d.deserialize_map(InfoVisitor)
    }
}

impl Serialize for RecordInfo {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        let mut map = s.serialize_map(None)?;
        for (key, value) in &self.entries {
            map.serialize_entry(key, value)?;
        }
        // A string entry wins over a kept value of the same name.
        for (key, value) in &self.extra {
            if self.entries.get(key).is_none() {
                map.serialize_entry(key, value)?;
            }
        }
        map.end()
    }
}

impl fmt::Debug for RecordInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("RecordInfo");
        d.field("entries", &self.entries);
        if !self.extra.is_empty() {
            d.field("extra", &self.extra);
        }
        d.finish()
    }
}

impl fmt::Display for RecordInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        display_json(self, &[], f)
    }
}

/// An `_info` value: a string borrowed from the input when it can be, or anything else.
enum Entry<'de> {
    Text(Cow<'de, str>),
    Other(Value),
}

impl<'de> Deserialize<'de> for Entry<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Entry<'de>, D::Error> {
        struct EntryVisitor;
        impl<'de> Visitor<'de> for EntryVisitor {
            type Value = Entry<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Entry<'de>, E> {
                Ok(Entry::Text(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Entry<'de>, E> {
                Ok(Entry::Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Entry<'de>, E> {
                Ok(Entry::Text(Cow::Owned(v)))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Entry<'de>, E> {
                Ok(Entry::Other(Value::Bool(v)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Entry<'de>, E> {
                Ok(Entry::Other(Value::from(v)))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Entry<'de>, E> {
                Ok(Entry::Other(Value::from(v)))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Entry<'de>, E> {
                Ok(Entry::Other(Value::from(v)))
            }
            fn visit_unit<E>(self) -> Result<Entry<'de>, E> {
                Ok(Entry::Other(Value::Null))
            }
            fn visit_none<E>(self) -> Result<Entry<'de>, E> {
                Ok(Entry::Other(Value::Null))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Entry<'de>, D::Error> {
                Entry::deserialize(d)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Entry<'de>, A::Error> {
                Value::deserialize(SeqAccessDeserializer::new(seq)).map(Entry::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Entry<'de>, A::Error> {
                Value::deserialize(MapAccessDeserializer::new(map)).map(Entry::Other)
            }
        }
        d.deserialize_any(EntryVisitor)
    }
}

/// A small map of strings in one buffer, in insertion order (for a handful of entries:
/// lookups scan it).
///
/// Each pair is stored as `<name length>:<name><value length>:<value>` (lengths in bytes, in
/// decimal), so that any text fits.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct StringMap {
    text: String,
}

impl StringMap {
    /// The value of `name`, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.iter().find_map(|(k, v)| (k == name).then_some(v))
    }

    /// Sets `name` to `value`, replacing a previous value of the same name in place.
    pub fn insert(&mut self, name: &str, value: &str) {
        if self.get(name).is_some() {
            let mut rebuilt = StringMap::default();
            for (k, v) in self.iter() {
                rebuilt.push(k, if k == name { value } else { v });
            }
            *self = rebuilt;
        } else {
            self.push(name, value);
        }
    }

    fn push(&mut self, name: &str, value: &str) {
        // Room for the pair at once (two lengths of up to 20 digits and their colons).
        self.text.reserve(name.len() + value.len() + 42);
        for part in [name, value] {
            // The digits by hand: `write!` costs more than the rest of a decode of `_info`.
            let mut digits = [0u8; 20];
            let mut start = digits.len();
            let mut n = part.len();
            loop {
                start -= 1;
                digits[start] = b'0' + (n % 10) as u8;
                n /= 10;
                if n == 0 {
                    break;
                }
            }
            self.text
                .extend(digits[start..].iter().map(|&d| char::from(d)));
            self.text.push(':');
            self.text.push_str(part);
        }
    }

    /// The pairs in the order they were inserted.
    pub fn iter(&self) -> StringPairs<'_> {
        StringPairs { rest: &self.text }
    }

    pub fn len(&self) -> usize {
        self.iter().count()
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }
}

impl<'a> IntoIterator for &'a StringMap {
    type Item = (&'a str, &'a str);
    type IntoIter = StringPairs<'a>;

    fn into_iter(self) -> StringPairs<'a> {
        self.iter()
    }
}

/// The pairs of a [`StringMap`], in insertion order.
#[derive(Debug, Clone)]
pub struct StringPairs<'a> {
    rest: &'a str,
}

impl<'a> Iterator for StringPairs<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<(&'a str, &'a str)> {
        let name = take_counted(&mut self.rest)?;
        let value = take_counted(&mut self.rest)?;
        Some((name, value))
    }
}

/// Splits `<length>:<text>` off the front of `rest`.
fn take_counted<'a>(rest: &mut &'a str) -> Option<&'a str> {
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let length = rest.bytes().take(digits).try_fold(0usize, |n, d| {
        n.checked_mul(10)?.checked_add(usize::from(d - b'0'))
    })?;
    let after = rest.get(digits..)?.strip_prefix(':')?;
    let (text, tail) = after.split_at_checked(length)?;
    *rest = tail;
    Some(text)
}

impl fmt::Debug for StringMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<'a> FromIterator<(&'a str, &'a str)> for StringMap {
    fn from_iter<I: IntoIterator<Item = (&'a str, &'a str)>>(pairs: I) -> StringMap {
        let mut map = StringMap::default();
        for (name, value) in pairs {
            map.insert(name, value);
        }
        map
    }
}
