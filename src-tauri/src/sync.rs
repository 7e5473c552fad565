//! The core's locks and blocking work, under the name the app's modules use.

pub(crate) use photolink_oauth::sync::{blocking, lock};
