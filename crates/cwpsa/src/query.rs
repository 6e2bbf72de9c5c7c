//! A typed list query and its encoding.
//!
//! Conditions come from the builder ([`cwpsa_core::conditions::Condition`]) or from a string
//! that is parsed (and so validated) before anything is sent; either way the canonical printed
//! form goes on the wire. Values are percent-encoded strictly: a `+` reaches the server as
//! `%2B` (a bare `+` would be read as a space) and a space as `%20`.

use cwpsa_core::conditions::{self, Condition, Expr};
use cwpsa_core::params::{Fields, OrderBy};

use crate::error::{Error, ErrorKind, Result};

/// The most records a page can hold.
pub const MAX_PAGE_SIZE: u32 = 1000;

/// Conditions given to a [`Query`]: a built [`Condition`], a parsed [`Expr`], or text.
#[derive(Debug, Clone)]
pub struct Conditions(std::result::Result<Expr, String>);

impl From<Condition> for Conditions {
    fn from(c: Condition) -> Conditions {
        Conditions(c.build().map_err(|e| e.to_string()))
    }
}

impl From<Expr> for Conditions {
    fn from(e: Expr) -> Conditions {
        Conditions(Ok(e))
    }
}

impl From<&str> for Conditions {
    fn from(text: &str) -> Conditions {
        Conditions(conditions::parse(text).map_err(|e| format!("{e}\n{}", e.render(text))))
    }
}

impl From<String> for Conditions {
    fn from(text: String) -> Conditions {
        Conditions::from(text.as_str())
    }
}

/// What to list: filters, ordering, field selection and page size.
///
/// ```
/// use cwpsa::Query;
/// use cwpsa_core::conditions::field;
/// let q = Query::new()
///     .conditions(field("closedFlag").eq(false).and(field("priority/name").contains("High")))
///     .order_by("id desc")
///     .page_size(100);
/// assert!(q.validate().is_ok());
/// ```
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct Query {
    conditions: Option<(&'static str, Conditions)>,
    child_conditions: Option<Conditions>,
    custom_field_conditions: Option<Conditions>,
    order_by: Option<std::result::Result<OrderBy, String>>,
    fields: Option<std::result::Result<Fields, String>>,
    page_size: Option<u32>,
    concurrency: Option<usize>,
    /// Parameters an operation takes besides the list ones (`recordType`, `lastModified`...).
    params: Vec<(&'static str, String)>,
}

/// The most pages a list may have in flight at once.
pub const MAX_CONCURRENCY: usize = 16;

/// The encoded parameters of a query, in the order they are sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Encoded {
    pub pairs: Vec<(&'static str, String)>,
}

impl Query {
    pub fn new() -> Query {
        Query::default()
    }

    pub fn conditions(mut self, c: impl Into<Conditions>) -> Query {
        self.conditions = Some(("conditions", c.into()));
        self
    }

    /// Conditions on array children (`communicationItems/value like "a@b.com*"`).
    pub fn child_conditions(mut self, c: impl Into<Conditions>) -> Query {
        self.child_conditions = Some(c.into());
        self
    }

    /// Conditions on custom fields (`caption = "TomNumber" and value != null`).
    pub fn custom_field_conditions(mut self, c: impl Into<Conditions>) -> Query {
        self.custom_field_conditions = Some(c.into());
        self
    }

    /// `priority/id asc, dateEntered desc`, or an [`OrderBy`].
    pub fn order_by(mut self, order: impl IntoParam<OrderBy>) -> Query {
        self.order_by = Some(order.into_param());
        self
    }

    /// `id,summary,status/name`, or a [`Fields`].
    pub fn fields(mut self, fields: impl IntoParam<Fields>) -> Query {
        self.fields = Some(fields.into_param());
        self
    }

    /// Records per page, 1 to 1000 (clamped).
    pub fn page_size(mut self, n: u32) -> Query {
        self.page_size = Some(n.clamp(1, MAX_PAGE_SIZE));
        self
    }

    /// How many pages a list may fetch at once (1 to 16; default 1). Above 1, page mode
    /// prefetches the following pages once `/count` has told how many there are, and a
    /// forward-only list is split into that many id ranges scanned side by side: records then
    /// come in page order within a range, not across ranges. Memory stays bounded by about
    /// this many pages. Useful when each page is slow and the rate budget is not the limit.
    pub fn concurrency(mut self, pages_in_flight: usize) -> Query {
        self.concurrency = Some(pages_in_flight.clamp(1, MAX_CONCURRENCY));
        self
    }

    /// Any other query parameter an operation takes (`recordType=Ticket` on
    /// `system/documents`), sent on every page and on `/count`.
    pub fn param(mut self, name: &'static str, value: impl Into<String>) -> Query {
        self.params.push((name, value.into()));
        self
    }

    /// [`Query::param`] when there is a value.
    pub fn param_opt(self, name: &'static str, value: Option<impl ToString>) -> Query {
        match value {
            Some(v) => self.param(name, v.to_string()),
            None => self,
        }
    }

    pub(crate) fn concurrency_or_one(&self) -> usize {
        self.concurrency.unwrap_or(1)
    }

    pub fn has_order_by(&self) -> bool {
        self.order_by.is_some()
    }

    pub(crate) fn page_size_opt(&self) -> Option<u32> {
        self.page_size
    }

    pub(crate) fn page_size_or(&self, default: u32) -> u32 {
        self.page_size.unwrap_or(default)
    }

    /// Checks every part, returning the first problem.
    pub fn validate(&self) -> Result<()> {
        self.encode_filters(true).map(|_| ())
    }

    /// Filters and selection (everything but paging).
    pub(crate) fn encode_filters(&self, with_order: bool) -> Result<Encoded> {
        let invalid = |what: &str, why: &str| {
            Error::new(ErrorKind::InvalidArgument, format!("invalid {what}: {why}"))
        };
        let mut pairs = Vec::new();
        let conds = [
            self.conditions.as_ref().map(|(_, c)| ("conditions", c)),
            self.child_conditions
                .as_ref()
                .map(|c| ("childConditions", c)),
            self.custom_field_conditions
                .as_ref()
                .map(|c| ("customFieldConditions", c)),
        ];
        for (name, c) in conds.into_iter().flatten() {
            match &c.0 {
                Ok(expr) => pairs.push((name, expr.to_string())),
                Err(why) => return Err(invalid(name, why)),
            }
        }
        if with_order {
            match &self.order_by {
                Some(Ok(o)) if !o.is_empty() => pairs.push(("orderBy", o.to_string())),
                Some(Err(why)) => return Err(invalid("orderBy", why)),
                _ => {}
            }
        }
        match &self.fields {
            Some(Ok(f)) if !f.is_empty() => pairs.push(("fields", f.to_string())),
            Some(Err(why)) => return Err(invalid("fields", why)),
            _ => {}
        }
        pairs.extend(self.params.iter().cloned());
        Ok(Encoded { pairs })
    }
}

/// A parameter given as text (parsed) or already typed.
pub trait IntoParam<T> {
    fn into_param(self) -> std::result::Result<T, String>;
}

macro_rules! into_param {
    ($t:ty) => {
        impl IntoParam<$t> for $t {
            fn into_param(self) -> std::result::Result<$t, String> {
                Ok(self)
            }
        }
        impl IntoParam<$t> for &str {
            fn into_param(self) -> std::result::Result<$t, String> {
                self.parse()
                    .map_err(|e: cwpsa_core::params::ParamError| e.to_string())
            }
        }
        impl IntoParam<$t> for String {
            fn into_param(self) -> std::result::Result<$t, String> {
                self.as_str().into_param()
            }
        }
    };
}

into_param!(OrderBy);
into_param!(Fields);

impl Encoded {
    pub(crate) fn push(&mut self, name: &'static str, value: impl Into<String>) {
        self.pairs.push((name, value.into()));
    }

    pub(crate) fn to_query_string(&self) -> String {
        let mut out = String::new();
        for (i, (k, v)) in self.pairs.iter().enumerate() {
            if i > 0 {
                out.push('&');
            }
            encode_into(&mut out, k);
            out.push('=');
            encode_into(&mut out, v);
        }
        out
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters and the `/` and `,` that
/// field paths and lists are full of (both are literal in a query component).
pub fn encode_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    encode_into(&mut out, text);
    out
}

fn encode_into(out: &mut String, text: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in text.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/' | b',') {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 15)] as char);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cwpsa_core::conditions::field;

    #[test]
    fn plus_and_space_are_escaped() {
        let q = Query::new().conditions(field("summary").eq("a+b c"));
        let enc = q.encode_filters(true).unwrap_or_default().to_query_string();
        assert_eq!(enc, "conditions=summary%20%3D%20%22a%2Bb%20c%22");
        assert_eq!(encode_component("é&="), "%C3%A9%26%3D");
    }

    #[test]
    fn string_conditions_are_validated() {
        let bad = Query::new().conditions("summary = ").validate();
        let err = bad.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            err.contains("invalid conditions") && err.contains('^'),
            "{err}"
        );
        assert!(Query::new().order_by("id sideways").validate().is_err());
        assert!(Query::new().fields("id,,x").validate().is_err());
        let ok = Query::new()
            .conditions("status/name = 'New' AND closedFlag = False")
            .fields("id,summary")
            .order_by("id desc");
        let enc = ok.encode_filters(true).unwrap_or_default();
        assert_eq!(
            enc.pairs[0].1,
            r#"status/name = "New" and closedFlag = false"#
        );
        assert_eq!(enc.pairs.len(), 3);
    }

    #[test]
    fn page_size_is_clamped() {
        assert_eq!(Query::new().page_size(5000).page_size_or(25), 1000);
        assert_eq!(Query::new().page_size(0).page_size_or(25), 1);
    }
}
