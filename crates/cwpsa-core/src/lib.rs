//! The ConnectWise PSA wire format, pure and free of I/O: the conditions language, query list
//! parameters (`orderBy`, `fields`), and the entity schema registry.

pub mod calendar;
pub mod client_id;
pub mod conditions;
pub mod params;
pub mod schema;
