//! Readiness in the crate's words, for the back-ends that work it out from what their platform
//! reports in other terms (kqueue's filters and `EV_*` flags, Windows' AFD poll events), and
//! carry it in a byte of their ready entries. Plain values, built and unit-tested everywhere.
#![cfg_attr(not(any(eventctx_kqueue, windows)), allow(dead_code))]

/// What a descriptor is ready for: the `is_*` fields of a `TriggeredEvent`, but priority data,
/// which neither kqueue nor AFD reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Readiness {
    pub(crate) readable: bool,
    pub(crate) writable: bool,
    pub(crate) read_closed: bool,
    pub(crate) hungup: bool,
    pub(crate) error: bool,
}

impl Readiness {
    /// Whether anything is reported.
    #[cfg_attr(not(windows), allow(dead_code))]
    pub(crate) fn any(&self) -> bool {
        self.readable || self.writable || self.read_closed || self.hungup || self.error
    }

    /// What two reports of one descriptor say, as one.
    #[cfg_attr(not(eventctx_kqueue), allow(dead_code))]
    pub(crate) fn merged(self, other: Readiness) -> Readiness {
        Readiness {
            readable: self.readable || other.readable,
            writable: self.writable || other.writable,
            read_closed: self.read_closed || other.read_closed,
            hungup: self.hungup || other.hungup,
            error: self.error || other.error,
        }
    }

    /// Packs the readiness into five bits of a byte.
    pub(crate) fn bits(&self) -> u8 {
        u8::from(self.readable)
            | u8::from(self.writable) << 1
            | u8::from(self.read_closed) << 2
            | u8::from(self.hungup) << 3
            | u8::from(self.error) << 4
    }

    /// Unpacks [`bits`](Self::bits); other bits are ignored.
    pub(crate) fn from_bits(bits: u8) -> Readiness {
        Readiness {
            readable: bits & 1 != 0,
            writable: bits & 1 << 1 != 0,
            read_closed: bits & 1 << 2 != 0,
            hungup: bits & 1 << 3 != 0,
            error: bits & 1 << 4 != 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readiness_survives_its_byte() {
        for bits in 0..32u8 {
            assert_eq!(Readiness::from_bits(bits).bits(), bits);
            assert_eq!(Readiness::from_bits(bits).any(), bits != 0);
        }
        let all = Readiness::from_bits(0xff);
        assert!(all.readable && all.writable && all.read_closed && all.hungup && all.error);
        assert_eq!(Readiness::from_bits(0), Readiness::default());
    }

    #[test]
    fn merged_is_what_either_says() {
        for a in 0..32u8 {
            for b in 0..32u8 {
                let both = Readiness::from_bits(a).merged(Readiness::from_bits(b));
                assert_eq!(both.bits(), a | b);
            }
        }
    }
}
