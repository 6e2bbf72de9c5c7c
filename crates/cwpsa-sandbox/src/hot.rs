//! Hot-column values read straight from a record's `Serialize` implementation, for the bulk
//! loader: only the hot fields (and the parent id) are visited, everything else is skipped
//! without being serialized, so the cost follows the number of hot fields rather than the size
//! of the record. The values equal what [`crate::store::Row::new`] extracts from the record
//! turned into a `serde_json::Value`.

use std::fmt;

use rusqlite::types::Value as SqlValue;
use serde::ser::{self, Impossible, Serialize};

use crate::catalog::{ColumnKind, EntityTable, HotFields, HotSlot};

/// The hot values of `record` in column order, and the parent id it names (when the parent
/// field is not itself a hot column; the caller reads it from the column then). A record that
/// fails to serialize, or is not an object, has no hot values.
pub(crate) fn capture<T: Serialize + ?Sized>(
    table: &EntityTable,
    record: &T,
) -> (Vec<SqlValue>, Option<i64>) {
    let mut hot = vec![SqlValue::Null; table.columns.len()];
    let mut parent = None;
    let capture = Capture {
        table,
        hot: &mut hot,
        parent: &mut parent,
        target: Target::Object(table.hot_layout.top()),
    };
    match record.serialize(capture) {
        Ok(()) => (hot, parent),
        Err(Failed) => (vec![SqlValue::Null; table.columns.len()], None),
    }
}

/// A record whose `Serialize` implementation reported an error.
#[derive(Debug)]
pub(crate) struct Failed;

impl fmt::Display for Failed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the record could not be serialized")
    }
}

impl std::error::Error for Failed {}

impl ser::Error for Failed {
    fn custom<T: fmt::Display>(_: T) -> Failed {
        Failed
    }
}

/// What the value being serialized is to the row.
#[derive(Clone, Copy)]
enum Target<'r> {
    /// A hot column's value.
    Column(usize),
    /// The parent id.
    Parent,
    /// An object holding these hot fields.
    Object(&'r HotFields),
}

/// Serializes one value into the row, as its [`Target`] says.
struct Capture<'a, 'r> {
    table: &'r EntityTable,
    hot: &'a mut [SqlValue],
    parent: &'a mut Option<i64>,
    target: Target<'r>,
}

/// A JSON scalar, as `serde_json` would make it.
enum Scalar<'s> {
    Bool(bool),
    I64(i64),
    U64(u64),
    F64(f64),
    Str(&'s str),
    /// Null, an array or an object: NULL in any column, no parent id.
    Other,
}

impl ColumnKind {
    /// [`ColumnKind::to_sql`](crate::store) of the scalar.
    fn scalar_to_sql(self, scalar: &Scalar<'_>) -> SqlValue {
        match (self, scalar) {
            (ColumnKind::Bool, Scalar::Bool(b)) => SqlValue::Integer(i64::from(*b)),
            (ColumnKind::Integer, Scalar::I64(i)) => SqlValue::Integer(*i),
            (ColumnKind::Integer, Scalar::U64(u)) => {
                i64::try_from(*u).map_or(SqlValue::Real(*u as f64), SqlValue::Integer)
            }
            (ColumnKind::Real, Scalar::I64(i)) => SqlValue::Real(*i as f64),
            (ColumnKind::Real, Scalar::U64(u)) => SqlValue::Real(*u as f64),
            // `serde_json` turns a NaN or an infinity into null.
            (ColumnKind::Integer | ColumnKind::Real, Scalar::F64(f)) if f.is_finite() => {
                SqlValue::Real(*f)
            }
            (ColumnKind::Text | ColumnKind::DateTime, Scalar::Str(s)) => {
                SqlValue::Text((*s).to_owned())
            }
            _ => SqlValue::Null,
        }
    }
}

impl<'a, 'r> Capture<'a, 'r> {
    /// Stores a scalar (or, as `Other`, an array or null) for a column or the parent.
    fn scalar(self, scalar: &Scalar<'_>) {
        match self.target {
            Target::Column(index) => {
                self.hot[index] = self.table.columns[index].kind.scalar_to_sql(scalar);
            }
            Target::Parent => {
                *self.parent = match *scalar {
                    Scalar::I64(i) => Some(i),
                    Scalar::U64(u) => i64::try_from(u).ok(),
                    _ => None,
                };
            }
            // Something other than an object where one is expected: no hot fields (and one
            // that repeats a key replaces what the earlier value set).
            Target::Object(fields) => clear(fields, self.hot, self.parent),
        }
    }

    /// An object: its hot fields when an object is expected, else NULL (as for any object).
    fn object(self) -> Entries<'a, 'r> {
        let Capture {
            table,
            hot,
            parent,
            target,
        } = self;
        let fields = match target {
            Target::Object(fields) => {
                clear(fields, hot, parent);
                Some(fields)
            }
            Target::Column(index) => {
                hot[index] = SqlValue::Null;
                None
            }
            Target::Parent => {
                *parent = None;
                None
            }
        };
        Entries {
            table,
            hot,
            parent,
            fields,
            cursor: 0,
            slot: None,
        }
    }

    /// An array: NULL, and its elements are never looked at.
    fn array(self) -> Skip {
        self.scalar(&Scalar::Other);
        Skip
    }
}

/// Empties the columns (and the parent id) an object's hot fields fill.
fn clear(fields: &HotFields, hot: &mut [SqlValue], parent: &mut Option<i64>) {
    for (_, slot) in fields.iter() {
        match slot {
            HotSlot::Column(index) => hot[*index] = SqlValue::Null,
            HotSlot::Parent => *parent = None,
            HotSlot::Object(_) => {}
        }
    }
}

/// The entries of an object, each looked up among `fields` (none when the object is not one
/// that holds hot fields).
struct Entries<'a, 'r> {
    table: &'r EntityTable,
    hot: &'a mut [SqlValue],
    parent: &'a mut Option<i64>,
    fields: Option<&'r HotFields>,
    /// Where the lookup of the next key starts (see [`HotFields::find`]).
    cursor: usize,
    /// The slot of the key just serialized, for the value that follows.
    slot: Option<HotSlot>,
}

impl<'a, 'r> Entries<'a, 'r> {
    fn lookup(&mut self, key: &str) -> Option<HotSlot> {
        self.fields.and_then(|f| f.find(&mut self.cursor, key))
    }

    fn target(&self, slot: HotSlot) -> Target<'r> {
        match slot {
            HotSlot::Column(index) => Target::Column(index),
            HotSlot::Parent => Target::Parent,
            HotSlot::Object(object) => Target::Object(self.table.hot_layout.inner(object)),
        }
    }

    fn value<T: Serialize + ?Sized>(
        &mut self,
        slot: Option<HotSlot>,
        value: &T,
    ) -> Result<(), Failed> {
        // A field that is not hot is never serialized.
        let Some(slot) = slot else { return Ok(()) };
        let target = self.target(slot);
        value.serialize(Capture {
            table: self.table,
            hot: &mut *self.hot,
            parent: &mut *self.parent,
            target,
        })
    }

    /// The entries of the object under `key`, itself an entry of this object.
    fn nested(mut self, key: &str) -> Entries<'a, 'r> {
        match self.lookup(key) {
            Some(slot) => {
                let target = self.target(slot);
                Capture {
                    table: self.table,
                    hot: self.hot,
                    parent: self.parent,
                    target,
                }
                .object()
            }
            None => Entries {
                fields: None,
                ..self
            },
        }
    }
}

impl ser::SerializeMap for Entries<'_, '_> {
    type Ok = ();
    type Error = Failed;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Failed> {
        self.slot = match self.fields {
            Some(fields) => key.serialize(KeyLookup {
                fields,
                cursor: &mut self.cursor,
            })?,
            None => None,
        };
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Failed> {
        let slot = self.slot.take();
        self.value(slot, value)
    }

    fn end(self) -> Result<(), Failed> {
        Ok(())
    }
}

impl ser::SerializeStruct for Entries<'_, '_> {
    type Ok = ();
    type Error = Failed;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Failed> {
        let slot = self.lookup(key);
        self.value(slot, value)
    }

    fn end(self) -> Result<(), Failed> {
        Ok(())
    }
}

impl ser::SerializeStructVariant for Entries<'_, '_> {
    type Ok = ();
    type Error = Failed;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Failed> {
        ser::SerializeStruct::serialize_field(self, key, value)
    }

    fn end(self) -> Result<(), Failed> {
        Ok(())
    }
}

/// The elements of an array, which no column reads.
struct Skip;

/// The serde traits for the parts of a sequence or tuple: each part is dropped unseen.
macro_rules! skip_parts {
    ($($trait:ident :: $method:ident),*) => {$(
        impl ser::$trait for Skip {
            type Ok = ();
            type Error = Failed;

            fn $method<T: Serialize + ?Sized>(&mut self, _: &T) -> Result<(), Failed> {
                Ok(())
            }

            fn end(self) -> Result<(), Failed> {
                Ok(())
            }
        }
    )*};
}

skip_parts!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

impl<'a, 'r> ser::Serializer for Capture<'a, 'r> {
    type Ok = ();
    type Error = Failed;
    type SerializeSeq = Skip;
    type SerializeTuple = Skip;
    type SerializeTupleStruct = Skip;
    type SerializeTupleVariant = Skip;
    type SerializeMap = Entries<'a, 'r>;
    type SerializeStruct = Entries<'a, 'r>;
    type SerializeStructVariant = Entries<'a, 'r>;

    fn serialize_bool(self, v: bool) -> Result<(), Failed> {
        self.scalar(&Scalar::Bool(v));
        Ok(())
    }

    fn serialize_i8(self, v: i8) -> Result<(), Failed> {
        self.serialize_i64(i64::from(v))
    }

    fn serialize_i16(self, v: i16) -> Result<(), Failed> {
        self.serialize_i64(i64::from(v))
    }

    fn serialize_i32(self, v: i32) -> Result<(), Failed> {
        self.serialize_i64(i64::from(v))
    }

    fn serialize_i64(self, v: i64) -> Result<(), Failed> {
        self.scalar(&Scalar::I64(v));
        Ok(())
    }

    fn serialize_i128(self, v: i128) -> Result<(), Failed> {
        match (i64::try_from(v), u64::try_from(v)) {
            (Ok(i), _) => self.serialize_i64(i),
            (_, Ok(u)) => self.serialize_u64(u),
            _ => Err(Failed),
        }
    }

    fn serialize_u8(self, v: u8) -> Result<(), Failed> {
        self.serialize_u64(u64::from(v))
    }

    fn serialize_u16(self, v: u16) -> Result<(), Failed> {
        self.serialize_u64(u64::from(v))
    }

    fn serialize_u32(self, v: u32) -> Result<(), Failed> {
        self.serialize_u64(u64::from(v))
    }

    fn serialize_u64(self, v: u64) -> Result<(), Failed> {
        self.scalar(&Scalar::U64(v));
        Ok(())
    }

    fn serialize_u128(self, v: u128) -> Result<(), Failed> {
        u64::try_from(v).map_or(Err(Failed), |u| self.serialize_u64(u))
    }

    fn serialize_f32(self, v: f32) -> Result<(), Failed> {
        self.serialize_f64(f64::from(v))
    }

    fn serialize_f64(self, v: f64) -> Result<(), Failed> {
        self.scalar(&Scalar::F64(v));
        Ok(())
    }

    fn serialize_char(self, v: char) -> Result<(), Failed> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }

    fn serialize_str(self, v: &str) -> Result<(), Failed> {
        self.scalar(&Scalar::Str(v));
        Ok(())
    }

    fn serialize_bytes(self, _: &[u8]) -> Result<(), Failed> {
        self.array();
        Ok(())
    }

    fn serialize_none(self) -> Result<(), Failed> {
        self.scalar(&Scalar::Other);
        Ok(())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Failed> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Failed> {
        self.serialize_none()
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Failed> {
        self.serialize_none()
    }

    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Failed> {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Failed> {
        value.serialize(self)
    }

    /// `{"variant": value}`.
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Failed> {
        let mut fields = self.object();
        let slot = fields.lookup(variant);
        fields.value(slot, value)
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Skip, Failed> {
        Ok(self.array())
    }

    fn serialize_tuple(self, _: usize) -> Result<Skip, Failed> {
        Ok(self.array())
    }

    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Skip, Failed> {
        Ok(self.array())
    }

    /// `{"variant": [...]}`: an array under the variant's key.
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Skip, Failed> {
        let mut fields = self.object();
        let slot = fields.lookup(variant);
        fields.value(slot, &[(); 0])?;
        Ok(Skip)
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Entries<'a, 'r>, Failed> {
        Ok(self.object())
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Entries<'a, 'r>, Failed> {
        Ok(self.object())
    }

    /// `{"variant": {...}}`: the fields belong to the object under the variant's key.
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Entries<'a, 'r>, Failed> {
        Ok(self.object().nested(variant))
    }
}

/// Looks a map key up among the hot fields, without keeping a copy of it. Keys are turned into
/// text as `serde_json` does (strings, characters, integers, booleans, unit variants).
struct KeyLookup<'a, 'r> {
    fields: &'r HotFields,
    cursor: &'a mut usize,
}

impl ser::Serializer for KeyLookup<'_, '_> {
    type Ok = Option<HotSlot>;
    type Error = Failed;
    type SerializeSeq = Impossible<Option<HotSlot>, Failed>;
    type SerializeTuple = Impossible<Option<HotSlot>, Failed>;
    type SerializeTupleStruct = Impossible<Option<HotSlot>, Failed>;
    type SerializeTupleVariant = Impossible<Option<HotSlot>, Failed>;
    type SerializeMap = Impossible<Option<HotSlot>, Failed>;
    type SerializeStruct = Impossible<Option<HotSlot>, Failed>;
    type SerializeStructVariant = Impossible<Option<HotSlot>, Failed>;

    fn serialize_str(self, v: &str) -> Result<Option<HotSlot>, Failed> {
        Ok(self.fields.find(self.cursor, v))
    }

    fn serialize_char(self, v: char) -> Result<Option<HotSlot>, Failed> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }

    fn serialize_bool(self, v: bool) -> Result<Option<HotSlot>, Failed> {
        self.serialize_str(if v { "true" } else { "false" })
    }

    fn serialize_i8(self, v: i8) -> Result<Option<HotSlot>, Failed> {
        self.serialize_str(&v.to_string())
    }

    fn serialize_i16(self, v: i16) -> Result<Option<HotSlot>, Failed> {
        self.serialize_str(&v.to_string())
    }

    fn serialize_i32(self, v: i32) -> Result<Option<HotSlot>, Failed> {
        self.serialize_str(&v.to_string())
    }

    fn serialize_i64(self, v: i64) -> Result<Option<HotSlot>, Failed> {
        self.serialize_str(&v.to_string())
    }

    fn serialize_u8(self, v: u8) -> Result<Option<HotSlot>, Failed> {
        self.serialize_str(&v.to_string())
    }

    fn serialize_u16(self, v: u16) -> Result<Option<HotSlot>, Failed> {
        self.serialize_str(&v.to_string())
    }

    fn serialize_u32(self, v: u32) -> Result<Option<HotSlot>, Failed> {
        self.serialize_str(&v.to_string())
    }

    fn serialize_u64(self, v: u64) -> Result<Option<HotSlot>, Failed> {
        self.serialize_str(&v.to_string())
    }

    fn serialize_f32(self, _: f32) -> Result<Option<HotSlot>, Failed> {
        Err(Failed)
    }

    fn serialize_f64(self, _: f64) -> Result<Option<HotSlot>, Failed> {
        Err(Failed)
    }

    fn serialize_bytes(self, _: &[u8]) -> Result<Option<HotSlot>, Failed> {
        Err(Failed)
    }

    fn serialize_none(self) -> Result<Option<HotSlot>, Failed> {
        Err(Failed)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<Option<HotSlot>, Failed> {
        Err(Failed)
    }

    fn serialize_unit(self) -> Result<Option<HotSlot>, Failed> {
        Err(Failed)
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<Option<HotSlot>, Failed> {
        Err(Failed)
    }

    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<Option<HotSlot>, Failed> {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<Option<HotSlot>, Failed> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<Option<HotSlot>, Failed> {
        Err(Failed)
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Failed> {
        Err(Failed)
    }

    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Failed> {
        Err(Failed)
    }

    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Failed> {
        Err(Failed)
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Failed> {
        Err(Failed)
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Failed> {
        Err(Failed)
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Failed> {
        Err(Failed)
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Failed> {
        Err(Failed)
    }
}
