/// Why a codec refused its input: a [`Malformation`] a caller can branch on (the fuzz oracle's
/// finding signatures, the RFC sentence a report quotes), and a human-readable detail naming the
/// bytes, for reports. Displays as the detail.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{detail}")]
pub struct CodecError {
    pub kind: Malformation,
    pub detail: String,
}

impl CodecError {
    pub(crate) fn new(kind: Malformation, detail: impl Into<String>) -> Self {
        CodecError {
            kind,
            detail: detail.into(),
        }
    }
}

/// What was wrong with a data-connection argument or reply, one variant per rule it breaks (as
/// rustls's `PeerMisbehaved` names each misbehaviour). [`Malformation::name`] is stable: the
/// fuzzer's finding signatures and file names use it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Malformation {
    /// `EPRT` with nothing after it.
    EprtEmpty,
    /// The EPRT delimiter is outside ASCII 33–126.
    EprtDelimiter,
    /// Not exactly `<d>net-prt<d>net-addr<d>tcp-port<d>`: missing, extra or mismatched
    /// delimiters, or bytes after the last one.
    EprtFields,
    /// The net-prt field is not a decimal address family number.
    EprtNetPrt,
    /// An unknown net-prt with an empty address or a non-numeric port.
    EprtUnknownFamilyFields,
    /// Net-prt 1 with something that is not dotted-decimal IPv4.
    EprtIpv4Address,
    /// Net-prt 2 with something that is not an IPv6 string.
    EprtIpv6Address,
    /// The net-prt names one family and the address is of the other.
    EprtFamilyMismatch,
    /// The EPRT port is not a decimal 1–65535.
    EprtPort,
    /// An EPSV argument that is neither `ALL` nor a net-prt.
    EpsvArgument,
    /// A 229 reply with no `(`.
    EpsvReplyNoParen,
    /// A 229 reply whose `(` is not followed by `<d><d><d>` with one legal delimiter.
    EpsvReplyDelimiters,
    /// A 229 reply whose port field is not a decimal 1–65535, or has no closing delimiter.
    EpsvReplyPort,
    /// A 229 reply without `)` right after the closing delimiter.
    EpsvReplyNoClose,
    /// A PORT argument that is not six comma-separated numbers.
    HostPortFields,
    /// A PORT number above 255 or not decimal.
    HostPortNumber,
    /// A 227 reply with no host-port, or fewer than six numbers.
    PasvReplyFields,
    /// A 227 reply number above 255.
    PasvReplyNumber,
    /// A net-prt that is not a plain decimal.
    NetPrtNumber,
    /// A 522 reply whose text does not end with `(p1,…,pn)`.
    ProtocolListMissing,
    /// A 522 protocol list that is empty or holds something other than decimal numbers.
    ProtocolListEntries,
}

impl Malformation {
    /// A stable short name, for signatures and file names: `eprt-delimiter`.
    pub fn name(self) -> &'static str {
        match self {
            Malformation::EprtEmpty => "eprt-empty",
            Malformation::EprtDelimiter => "eprt-delimiter",
            Malformation::EprtFields => "eprt-fields",
            Malformation::EprtNetPrt => "eprt-net-prt",
            Malformation::EprtUnknownFamilyFields => "eprt-unknown-family-fields",
            Malformation::EprtIpv4Address => "eprt-ipv4-address",
            Malformation::EprtIpv6Address => "eprt-ipv6-address",
            Malformation::EprtFamilyMismatch => "eprt-family-mismatch",
            Malformation::EprtPort => "eprt-port",
            Malformation::EpsvArgument => "epsv-argument",
            Malformation::EpsvReplyNoParen => "229-no-paren",
            Malformation::EpsvReplyDelimiters => "229-delimiters",
            Malformation::EpsvReplyPort => "229-port",
            Malformation::EpsvReplyNoClose => "229-no-close",
            Malformation::HostPortFields => "host-port-fields",
            Malformation::HostPortNumber => "host-port-number",
            Malformation::PasvReplyFields => "227-fields",
            Malformation::PasvReplyNumber => "227-number",
            Malformation::NetPrtNumber => "net-prt-number",
            Malformation::ProtocolListMissing => "522-no-list",
            Malformation::ProtocolListEntries => "522-list-entries",
        }
    }

    /// The RFC section and sentence this malformation breaks, for a report to quote.
    pub fn rule(self) -> &'static str {
        match self {
            Malformation::EprtEmpty | Malformation::EprtFields => {
                "RFC 2428 §2: \"The EPRT command keyword MUST be followed by a single space (ASCII \
                 32). Following the space, a delimiter character (<d>) MUST be specified.\" — \
                 EPRT<space><d><net-prt><d><net-addr><d><tcp-port><d>"
            }
            Malformation::EprtDelimiter => {
                "RFC 2428 §2: \"The delimiter character MUST be one of the ASCII characters in \
                 range 33-126 inclusive.\""
            }
            Malformation::EprtNetPrt | Malformation::EprtUnknownFamilyFields => {
                "RFC 2428 §2: \"The <net-prt> argument MUST be an address family number defined \
                 by IANA in the latest Assigned Numbers RFC\""
            }
            Malformation::EprtIpv4Address
            | Malformation::EprtIpv6Address
            | Malformation::EprtFamilyMismatch => {
                "RFC 2428 §2: \"For the two address families specified above (AF Number 1 and \
                 2), addresses MUST be in the following format: 1 = dotted decimal, 2 = IPv6 \
                 string representations\""
            }
            Malformation::EprtPort => {
                "RFC 2428 §2: \"The <tcp-port> argument must be the string representation of the \
                 number of the TCP port on which the host is listening for the data connection.\""
            }
            Malformation::EpsvArgument => {
                "RFC 2428 §3: the EPSV argument is a <net-prt> (\"EPSV<space><net-prt>\") or \
                 \"ALL\" (\"EPSV<space>ALL\")"
            }
            Malformation::EpsvReplyNoParen
            | Malformation::EpsvReplyDelimiters
            | Malformation::EpsvReplyPort
            | Malformation::EpsvReplyNoClose => {
                "RFC 2428 §3: \"The text returned in response to the EPSV command MUST be: <text \
                 indicating server is entering extended passive mode> (<d><d><d><tcp-port><d>)\""
            }
            Malformation::HostPortFields | Malformation::HostPortNumber => {
                "RFC 959 §4.1.2: \"The fields are separated by commas. A port command would be: \
                 PORT h1,h2,h3,h4,p1,p2\" — §5.3.2: <host-port> ::= <host-number>,<port-number>, \
                 each <number> 0-255"
            }
            Malformation::PasvReplyFields | Malformation::PasvReplyNumber => {
                "RFC 959 §4.1.2 and §5.3.2: the 227 reply carries the host-port \
                 h1,h2,h3,h4,p1,p2, six numbers 0-255"
            }
            Malformation::NetPrtNumber => {
                "RFC 2428 §2: \"The network protocol MUST be specified as an address family \
                 number\""
            }
            Malformation::ProtocolListMissing | Malformation::ProtocolListEntries => {
                "RFC 2428 §2: \"If the network protocol is unsupported, the format of the \
                 response string MUST be: <text stating that the network protocol is \
                 unsupported> (prot1,prot2,...,protn)\""
            }
        }
    }
}
