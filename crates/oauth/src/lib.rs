//! OAuth 2.0 native-client core.
