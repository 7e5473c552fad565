//! Newtypes for secret values: they never show up in `Debug` output.
//!
//! Each type opts into exactly the traits its use needs. Tokens that are kept between runs
//! (access, refresh and ID tokens) are `Clone` and serialize as plain strings for the token
//! store. Single-use values (authorization code, PKCE verifier) are neither `Clone` nor
//! `Serialize`, so a copy cannot be made or written out by accident. None has a derived
//! `PartialEq`: comparing secrets with `==` is not constant-time; compare [`secret`] values
//! where a test needs to.
//!
//! [`secret`]: AccessToken::secret

macro_rules! secret_string {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        ///
        /// `Debug` prints `[redacted]`; read the value with [`secret`](Self::secret) only to
        /// put it on the wire or into secure storage.
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
    /// An OAuth access token (sent as `Authorization: Bearer …`). Serializes as a plain string,
    /// for the token store only.
    #[derive(Clone, serde::Serialize, serde::Deserialize)]
    #[serde(transparent)]
    AccessToken
);
secret_string!(
    /// An OAuth refresh token. Serializes as a plain string, for the token store only.
    #[derive(Clone, serde::Serialize, serde::Deserialize)]
    #[serde(transparent)]
    RefreshToken
);
secret_string!(
    /// A one-time authorization code from the authorization response: neither `Clone` nor
    /// serializable, so it is redeemed at most once by this process.
    AuthorizationCode
);
secret_string!(
    /// A PKCE code verifier (RFC 7636). Create one with [`PkceVerifier::generate`]. Neither
    /// `Clone` nor serializable; a [`SavedSignIn`](crate::SavedSignIn) carries it to secure
    /// storage.
    PkceVerifier
);
secret_string!(
    /// A client secret, for the rare provider that issues one to a native app. Deserializes
    /// from a plain string (so settings can hold it), never serializes.
    #[derive(Clone, serde::Deserialize)]
    #[serde(transparent)]
    ClientSecret
);
secret_string!(
    /// An OpenID Connect ID token, kept as received; with the `openid` scope it was verified
    /// before the sign-in counted (see [`IdTokenClaims`](crate::IdTokenClaims)). Serializes as
    /// a plain string, for the token store only.
    #[derive(Clone, serde::Serialize, serde::Deserialize)]
    #[serde(transparent)]
    IdToken
);

impl PkceVerifier {
    /// A second handle on the same verifier, for the one place that must write it out: the
    /// snapshot of a sign-in for secure storage.
    pub(crate) fn duplicate_for_storage(&self) -> Self {
        Self::new(self.secret())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fails to compile when `$type` implements `$trait`: the call is then ambiguous between
    /// the blanket impl and the one for types with the trait.
    macro_rules! assert_not_impl {
        ($type:ty: $trait:path) => {{
            trait AmbiguousIfImpl<A> {
                fn check() {}
            }
            impl<T: ?Sized> AmbiguousIfImpl<()> for T {}
            #[allow(dead_code)]
            struct Invalid;
            impl<T: ?Sized + $trait> AmbiguousIfImpl<Invalid> for T {}
            <$type as AmbiguousIfImpl<_>>::check();
        }};
    }

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
    fn stored_tokens_serialize_as_a_plain_string() {
        let json = serde_json::to_string(&IdToken::new("x.y.z")).unwrap();
        assert_eq!(json, "\"x.y.z\"");
        let back: IdToken = serde_json::from_str(&json).unwrap();
        assert_eq!(back.secret(), "x.y.z");
    }

    #[test]
    fn a_client_secret_is_read_from_settings() {
        let secret: ClientSecret = serde_json::from_str("\"s3cr3t\"").unwrap();
        assert_eq!(secret.secret(), "s3cr3t");
    }

    #[test]
    fn single_use_secrets_cannot_be_copied_or_written_out() {
        assert_not_impl!(PkceVerifier: Clone);
        assert_not_impl!(PkceVerifier: serde::Serialize);
        assert_not_impl!(AuthorizationCode: Clone);
        assert_not_impl!(AuthorizationCode: serde::Serialize);
        assert_not_impl!(ClientSecret: serde::Serialize);
        assert_not_impl!(crate::AuthorizationResponse: Clone);
        assert_not_impl!(crate::SavedSignIn: Clone);
        assert_not_impl!(crate::DpopKey: Clone);
        assert_not_impl!(crate::DpopKey: serde::Serialize);
        assert_not_impl!(crate::DpopKey: PartialEq);
    }

    #[test]
    fn no_secret_can_be_compared_with_equals() {
        assert_not_impl!(AccessToken: PartialEq);
        assert_not_impl!(RefreshToken: PartialEq);
        assert_not_impl!(AuthorizationCode: PartialEq);
        assert_not_impl!(PkceVerifier: PartialEq);
        assert_not_impl!(ClientSecret: PartialEq);
        assert_not_impl!(IdToken: PartialEq);
    }
}
