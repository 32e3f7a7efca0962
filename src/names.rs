//! Library enums chosen by name (command-line values, fields of files): each lists its values once, with a
//! name and a one-line description ([`Named`]), and gets `FromStr` from that list through
//! [`named!`](crate::named). The command line builds its choices and their help from [`Named::VALUES`].

use crate::error::{Error, Result};

/// An enum whose values have names.
pub trait Named: Copy + 'static {
    /// What a value is, for errors: "activation".
    const WHAT: &'static str;
    /// Every value: (value, name, one-line description).
    const VALUES: &'static [(Self, &'static str, &'static str)];

    /// The value's name.
    fn name(self) -> &'static str;

    /// The value of a name, or an error listing the names.
    fn from_name(s: &str) -> Result<Self> {
        Self::VALUES
            .iter()
            .find(|v| v.1 == s)
            .map(|v| v.0)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::VALUES.iter().map(|v| v.1).collect();
                Error::input(format!(
                    "{s:?} is not a known {}: use one of {}",
                    Self::WHAT,
                    names.join(", ")
                ))
            })
    }
}

/// Implements [`Named`] and `FromStr` (and `Display` by the name, unless `@no_display`) for an enum:
/// `named!(Order, "site order" { Random => "random": "…", Permutation => "permutation": "…" });`.
#[macro_export]
macro_rules! named {
    ($t:ident, $what:literal { $($v:ident => $name:literal: $help:literal),+ $(,)? }) => {
        $crate::named!(@no_display $t, $what { $($v => $name: $help),+ });
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str($crate::names::Named::name(*self))
            }
        }
    };
    (@no_display $t:ident, $what:literal { $($v:ident => $name:literal: $help:literal),+ $(,)? }) => {
        impl $crate::names::Named for $t {
            const WHAT: &'static str = $what;
            const VALUES: &'static [(Self, &'static str, &'static str)] = &[$(($t::$v, $name, $help)),+];
            fn name(self) -> &'static str {
                match self {
                    $($t::$v => $name),+
                }
            }
        }
        impl std::str::FromStr for $t {
            type Err = $crate::Error;
            fn from_str(s: &str) -> $crate::Result<Self> {
                <$t as $crate::names::Named>::from_name(s)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::Named;
    use crate::instance::Format;
    use crate::mc::{Centre, Visit};
    use crate::mc::{EnergyKind, Order, Ramp};
    use crate::model::Activation;
    use crate::solve::Algo;

    /// Every listed name parses back to its value, is what serde writes, and has a description.
    fn round_trip<T: Named + PartialEq + std::fmt::Debug + serde::Serialize>() {
        for &(v, name, help) in T::VALUES {
            assert_eq!(v.name(), name);
            assert_eq!(T::from_name(name).unwrap(), v);
            assert_eq!(serde_json::to_value(v).unwrap(), name);
            assert!(!help.is_empty() && !help.ends_with('.'), "{name}: {help:?}");
        }
        let e = T::from_name("no-such-value").unwrap_err().to_string();
        assert!(e.contains(T::WHAT) && e.contains(T::VALUES[0].1), "{e}");
    }

    #[test]
    fn names_round_trip() {
        round_trip::<Activation>();
        round_trip::<Format>();
        round_trip::<Centre>();
        round_trip::<Visit>();
        round_trip::<EnergyKind>();
        round_trip::<Order>();
        round_trip::<Ramp>();
        round_trip::<Algo>();
    }
}
