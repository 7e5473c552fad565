//! Demo authorization server and photo API.
