// The crate reached through a re-export, named with `#[eventctx(crate = "...")]`.
mod platform {
    pub(crate) use ::eventctx as sys_util;
}

#[derive(platform::sys_util::EventToken, Clone, Copy, PartialEq, Debug)]
#[eventctx(crate = "crate::platform::sys_util")]
enum Token {
    A,
    B(u16),
}

fn main() {
    use eventctx::EventToken;
    assert_eq!(Token::from_raw_token(Token::B(7).as_raw_token()), Token::B(7));
    assert_eq!(Token::from_raw_token(Token::A.as_raw_token()), Token::A);
}
