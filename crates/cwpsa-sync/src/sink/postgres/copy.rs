//! Rows in `COPY ... (FORMAT binary)`: each field is its length and the type's binary form,
//! so nothing is escaped here and nothing split or unescaped on the server (the text format's
//! field splitting was a sixth of the server's time per page).

use bytes::Bytes;

use super::jsonb::append_in_key_order;

/// The format's signature, then 32-bit flags and header-extension length (both zero).
const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";
/// `jsonb`'s binary input: this version byte, then the JSON text.
const JSONB_VERSION: u8 = 1;
/// Seconds from the Unix epoch to PostgreSQL's, 2000-01-01T00:00:00Z.
const POSTGRES_EPOCH: i64 = 946_684_800;
/// The earliest `timestamptz`, 4714-11-24T00:00:00Z BC: every time the sync reads (years 0000
/// to 9999; 0000 is 1 BC) is later, so a record's odd date never stops a sync. (The text
/// input this replaced refused the year 0000.)
const EARLIEST: i64 = -210_866_803_200;

/// A COPY payload being built, row by row.
pub(super) struct CopyRows {
    buf: Vec<u8>,
}

impl CopyRows {
    pub fn with_capacity(bytes: usize) -> CopyRows {
        let mut buf = Vec::with_capacity(HEADER.len() + bytes + 2);
        buf.extend_from_slice(HEADER);
        CopyRows { buf }
    }

    /// Starts a row of `fields` fields (as many as the COPY's column list names).
    pub fn row(&mut self, fields: u16) {
        self.buf.extend_from_slice(&fields.to_be_bytes());
    }

    pub fn null(&mut self) {
        self.buf.extend_from_slice(&(-1i32).to_be_bytes());
    }

    /// A `bigint`.
    pub fn int8(&mut self, value: i64) {
        self.field(&value.to_be_bytes());
    }

    /// A `double precision`.
    pub fn float8(&mut self, value: f64) {
        self.field(&value.to_be_bytes());
    }

    pub fn bool(&mut self, value: bool) {
        self.field(&[u8::from(value)]);
    }

    /// A `text` value; NUL, which `text` cannot hold, is dropped.
    pub fn text(&mut self, value: &[u8]) -> Result<(), String> {
        if memchr::memchr(0, value).is_none() {
            return self.sized(|buf| buf.extend_from_slice(value));
        }
        self.sized(|buf| buf.extend(value.iter().filter(|b| **b != 0)))
    }

    /// A `timestamptz` at `secs` since the Unix epoch; `Err` before the earliest the type
    /// holds.
    pub fn timestamptz(&mut self, secs: i64) -> Result<(), String> {
        if secs < EARLIEST {
            return Err(format!(
                "{secs} seconds from 1970 is before the earliest time PostgreSQL holds (4714 BC)"
            ));
        }
        self.field(&((secs - POSTGRES_EPOCH) * 1_000_000).to_be_bytes());
        Ok(())
    }

    /// A `jsonb` value from a record's JSON text, rewritten for the server's parser (see
    /// [`super::jsonb`]).
    pub fn jsonb(&mut self, json: &[u8]) -> Result<(), String> {
        self.sized(|buf| {
            buf.push(JSONB_VERSION);
            append_in_key_order(json, buf)
        })
        .and_then(|r| r)
    }

    /// The payload, with the end-of-data marker.
    pub fn finish(mut self) -> Bytes {
        self.buf.extend_from_slice(&(-1i16).to_be_bytes());
        Bytes::from(self.buf)
    }

    fn field(&mut self, bytes: &[u8]) {
        // Fixed-width values: a few bytes.
        self.buf
            .extend_from_slice(&(bytes.len() as i32).to_be_bytes());
        self.buf.extend_from_slice(bytes);
    }

    /// A field written by `write`, preceded by its length once it is known.
    fn sized<T>(&mut self, write: impl FnOnce(&mut Vec<u8>) -> T) -> Result<T, String> {
        let at = self.buf.len();
        self.buf.extend_from_slice(&[0; 4]);
        let result = write(&mut self.buf);
        let len = i32::try_from(self.buf.len() - at - 4)
            .map_err(|_| "a value longer than 2 GB cannot be copied".to_owned())?;
        self.buf[at..at + 4].copy_from_slice(&len.to_be_bytes());
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// Reads a payload back into rows of fields (`None` for NULL).
    fn fields(payload: &[u8]) -> Vec<Vec<Option<Vec<u8>>>> {
        assert_eq!(&payload[..HEADER.len()], HEADER);
        let mut rest = &payload[HEADER.len()..];
        let mut rows = Vec::new();
        loop {
            let count = i16::from_be_bytes([rest[0], rest[1]]);
            rest = &rest[2..];
            if count == -1 {
                assert!(rest.is_empty(), "bytes after the end marker");
                return rows;
            }
            let mut row = Vec::new();
            for _ in 0..count {
                let len = i32::from_be_bytes(rest[..4].try_into().unwrap());
                rest = &rest[4..];
                if len < 0 {
                    row.push(None);
                } else {
                    row.push(Some(rest[..len as usize].to_vec()));
                    rest = &rest[len as usize..];
                }
            }
            rows.push(row);
        }
    }

    #[test]
    fn rows_carry_each_type_in_its_binary_form() {
        let mut copy = CopyRows::with_capacity(0);
        copy.row(8);
        copy.int8(-2);
        copy.float8(1.5);
        copy.bool(true);
        copy.null();
        copy.text("a\tb\0\\é".as_bytes()).unwrap();
        copy.timestamptz(crate::time::parse("2000-01-01T00:00:01Z").unwrap())
            .unwrap();
        copy.timestamptz(crate::time::parse("1999-12-31T23:59:59Z").unwrap())
            .unwrap();
        copy.jsonb(br#"{"id": 1, "a": "x\u0000"}"#).unwrap();
        copy.row(1);
        copy.bool(false);
        let rows = fields(&copy.finish());
        assert_eq!(rows.len(), 2);
        let row = &rows[0];
        assert_eq!(row[0].as_deref(), Some(&(-2i64).to_be_bytes()[..]));
        assert_eq!(row[1].as_deref(), Some(&1.5f64.to_be_bytes()[..]));
        assert_eq!(row[2].as_deref(), Some(&[1][..]));
        assert_eq!(row[3], None);
        assert_eq!(row[4].as_deref(), Some("a\tb\\é".as_bytes()));
        assert_eq!(row[5].as_deref(), Some(&1_000_000i64.to_be_bytes()[..]));
        assert_eq!(row[6].as_deref(), Some(&(-1_000_000i64).to_be_bytes()[..]));
        assert_eq!(
            row[7].as_deref(),
            Some(&b"\x01{\"a\":\"x\\ufffd\",\"id\":1}"[..])
        );
        assert_eq!(rows[1], [Some(vec![0])]);
    }

    #[test]
    fn every_time_the_sync_reads_is_one_the_server_holds() {
        let mut copy = CopyRows::with_capacity(0);
        let year_zero = crate::time::parse("0000-01-01T00:00:00Z").unwrap();
        assert!(copy.timestamptz(year_zero).is_ok());
        assert!(copy.timestamptz(EARLIEST).is_ok());
        let err = copy.timestamptz(EARLIEST - 1).unwrap_err();
        assert!(err.contains("4714 BC"), "{err}");
        assert!(copy.jsonb(b"{\"a\":").is_err());
    }
}
