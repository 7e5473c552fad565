//! Newtypes for secret values: they never show up in `Debug` output.

macro_rules! secret_string {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        ///
        /// `Debug` prints `[redacted]`; read the value with [`secret`](Self::secret) only to
        /// put it on the wire or into secure storage. Serializes as a plain string.
        #[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps a secret value.
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The secret value itself.
            pub fn secret(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("[redacted]")
            }
        }
    };
}

secret_string!(
    /// An OAuth access token (sent as `Authorization: Bearer …`).
    AccessToken
);
secret_string!(
    /// An OAuth refresh token.
    RefreshToken
);
secret_string!(
    /// A one-time authorization code from the authorization response.
    AuthorizationCode
);
secret_string!(
    /// A PKCE code verifier (RFC 7636). Create one with [`PkceVerifier::generate`].
    PkceVerifier
);
secret_string!(
    /// A client secret, for the rare provider that issues one to a native app.
    ClientSecret
);
secret_string!(
    /// An OpenID Connect ID token, kept as received (not validated by this crate).
    IdToken
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_contains_the_secret() {
        let token = AccessToken::new("very-secret-value");
        assert_eq!(format!("{token:?}"), "[redacted]");
        assert_eq!(
            format!("{:?}", Some(RefreshToken::new("r-secret"))),
            "Some([redacted])"
        );
        assert!(!format!("{:#?}", ClientSecret::new("s3cr3t")).contains("s3cr3t"));
    }

    #[test]
    fn secret_gives_the_value_back() {
        assert_eq!(AuthorizationCode::new("abc").secret(), "abc");
    }

    #[test]
    fn serializes_as_a_plain_string() {
        let json = serde_json::to_string(&IdToken::new("x.y.z")).unwrap();
        assert_eq!(json, "\"x.y.z\"");
        let back: IdToken = serde_json::from_str(&json).unwrap();
        assert_eq!(back.secret(), "x.y.z");
    }
}
