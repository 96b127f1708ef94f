//! Splits the text of one query option into tokens that carry their char offset, and gives the
//! parsers a cursor over them, so every error can point at the exact place the user typed.

use serde_json::Number;

use super::QueryError;

/// The longest text accepted for any query option, in bytes (8 KiB). Longer text is refused
/// before it is read, so a hostile request costs almost nothing.
pub const MAX_OPTION_BYTES: usize = 8 * 1024;

/// The most chars of user text quoted back in one error message; the rest becomes `…`.
const MAX_QUOTED_CHARS: usize = 40;

/// What a token is. Keywords (`and`, `eq`, `desc`, `true`…) are plain words here: whether a
/// word is a keyword or a field name depends on where it stands, which only the parser knows.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TokenKind {
    /// An identifier `[A-Za-z_][A-Za-z0-9_]*`: a field name or a keyword.
    Word(String),
    /// A number literal, with its text as written so messages can quote it.
    Number {
        value: Number,
        text: String,
    },
    /// A single-quoted string literal, with `''` already turned into `'`.
    String(String),
    OpenParen,
    CloseParen,
    Comma,
    Slash,
    /// The end of the text; the last token unless the text has an error.
    End,
    /// Text that is not a token. It ends the token list and carries the error to report when
    /// the parser reaches it, so errors come out in the order they appear in the text.
    Invalid(Box<QueryError>),
}

/// One token and the 0-based char offset where it starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub(crate) kind: TokenKind,
    pub(crate) position: usize,
}

impl Token {
    /// Whether this token is the word `keyword`, ignoring ASCII case (`AND` is `and`).
    pub(crate) fn is_keyword(&self, keyword: &str) -> bool {
        matches!(&self.kind, TokenKind::Word(word) if word.eq_ignore_ascii_case(keyword))
    }

    /// How the token is named in the "found …" part of an error message.
    pub(crate) fn describe(&self) -> String {
        match &self.kind {
            TokenKind::Word(word) => format!("'{}'", shorten(word)),
            TokenKind::Number { text, .. } => format!("number {}", shorten(text)),
            TokenKind::String(value) => format!("string {}", quote_string(value)),
            TokenKind::OpenParen => "'('".to_owned(),
            TokenKind::CloseParen => "')'".to_owned(),
            TokenKind::Comma => "','".to_owned(),
            TokenKind::Slash => "'/'".to_owned(),
            TokenKind::End => "end of input".to_owned(),
            TokenKind::Invalid(_) => "invalid text".to_owned(),
        }
    }
}

/// Writes a string value the way it is typed in a filter (`'O''Brien'`), shortened for messages.
pub(crate) fn quote_string(value: &str) -> String {
    format!("'{}'", shorten(&value.replace('\'', "''")))
}

/// Cuts user text to a readable length and escapes control characters, so that a hostile input
/// can neither bloat nor garble an error message.
pub(crate) fn shorten(text: &str) -> String {
    let mut shortened = String::new();
    for (index, character) in text.chars().enumerate() {
        if index == MAX_QUOTED_CHARS {
            shortened.push('…');
            break;
        }
        if character.is_control() {
            shortened.extend(character.escape_default());
        } else {
            shortened.push(character);
        }
    }
    shortened
}

/// A position in the token list of one option, with the helpers every parser needs to look
/// ahead and to build errors that name the token found.
pub(crate) struct Cursor {
    option: &'static str,
    /// Never empty: always ends with an `End` or `Invalid` token.
    tokens: Vec<Token>,
    index: usize,
}

impl Cursor {
    /// Tokenizes `text`, the value of `option`; text over [`MAX_OPTION_BYTES`] is refused unread.
    pub(crate) fn new(option: &'static str, text: &str) -> Result<Self, QueryError> {
        if text.len() > MAX_OPTION_BYTES {
            return Err(QueryError::new(
                option,
                None,
                format!(
                    "too long: {} bytes, the limit is {MAX_OPTION_BYTES} bytes (8 KiB)",
                    text.len()
                ),
            ));
        }
        Ok(Self {
            option,
            tokens: tokenize(option, text),
            index: 0,
        })
    }

    /// The current token; at the end this stays the final `End` (or `Invalid`) token.
    pub(crate) fn peek(&self) -> &Token {
        &self.tokens[self.index]
    }

    /// The token after the current one, or the final token when there is none.
    pub(crate) fn peek_second(&self) -> &Token {
        let last = self.tokens.len() - 1;
        &self.tokens[(self.index + 1).min(last)]
    }

    /// Returns the current token and moves past it; never moves past the final token.
    pub(crate) fn advance(&mut self) -> Token {
        let token = self.tokens[self.index].clone();
        if self.index + 1 < self.tokens.len() {
            self.index += 1;
        }
        token
    }

    /// An error of this cursor's option.
    pub(crate) fn error(&self, position: Option<usize>, message: impl Into<String>) -> QueryError {
        QueryError::new(self.option, position, message)
    }

    /// "`{expected}` at position N, found X" (plus "; `{hint}`") about the current token.
    pub(crate) fn expected(&self, expected: &str, hint: Option<&str>) -> QueryError {
        self.unexpected(|position, found| match hint {
            Some(hint) => format!("{expected} at position {position}, found {found}; {hint}"),
            None => format!("{expected} at position {position}, found {found}"),
        })
    }

    /// An error about the current token, worded by `message(position, description)`. When the
    /// current token is invalid text, the lexer's own, more precise error wins.
    pub(crate) fn unexpected(&self, message: impl FnOnce(usize, &str) -> String) -> QueryError {
        let token = self.peek();
        if let TokenKind::Invalid(error) = &token.kind {
            return (**error).clone();
        }
        self.error(
            Some(token.position),
            message(token.position, &token.describe()),
        )
    }
}

/// Turns `text` into tokens, stopping at the first text that is not a token.
fn tokenize(option: &'static str, text: &str) -> Vec<Token> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut index = 0;
    loop {
        while chars
            .get(index)
            .is_some_and(|character| character.is_whitespace())
        {
            index += 1;
        }
        let start = index;
        let Some(&character) = chars.get(index) else {
            tokens.push(Token {
                kind: TokenKind::End,
                position: start,
            });
            return tokens;
        };
        let kind = match character {
            '(' | ')' | ',' | '/' => {
                index += 1;
                Ok(match character {
                    '(' => TokenKind::OpenParen,
                    ')' => TokenKind::CloseParen,
                    ',' => TokenKind::Comma,
                    _ => TokenKind::Slash,
                })
            }
            '\'' => lex_string(&chars, &mut index),
            '-' | '0'..='9' => lex_number(&chars, &mut index),
            _ if is_word_start(character) => {
                while chars.get(index).is_some_and(|&next| is_word_char(next)) {
                    index += 1;
                }
                Ok(TokenKind::Word(chars[start..index].iter().collect()))
            }
            _ => Err(not_a_token(&chars, start)),
        };
        match kind {
            Ok(kind) => tokens.push(Token {
                kind,
                position: start,
            }),
            Err(message) => {
                let error = QueryError::new(option, Some(start), message);
                tokens.push(Token {
                    kind: TokenKind::Invalid(Box::new(error)),
                    position: start,
                });
                return tokens;
            }
        }
    }
}

fn is_word_start(character: char) -> bool {
    character.is_ascii_alphabetic() || character == '_'
}

fn is_word_char(character: char) -> bool {
    character.is_ascii_alphanumeric() || character == '_'
}

/// Reads `'…'` starting at the opening quote; `''` inside stands for one quote.
fn lex_string(chars: &[char], index: &mut usize) -> Result<TokenKind, String> {
    let start = *index;
    *index += 1;
    let mut value = String::new();
    loop {
        match chars.get(*index) {
            None => {
                return Err(format!(
                    "unterminated string starting at position {start}; end it with ' and write a quote inside a string as ''"
                ));
            }
            Some('\'') if chars.get(*index + 1) == Some(&'\'') => {
                value.push('\'');
                *index += 2;
            }
            Some('\'') => {
                *index += 1;
                return Ok(TokenKind::String(value));
            }
            Some(&character) => {
                value.push(character);
                *index += 1;
            }
        }
    }
}

/// Reads `-?digits(.digits)?([eE][+-]?digits)?` and checks that it is a usable number.
fn lex_number(chars: &[char], index: &mut usize) -> Result<TokenKind, String> {
    let start = *index;
    let digits = |index: &mut usize| {
        let from = *index;
        while chars.get(*index).is_some_and(char::is_ascii_digit) {
            *index += 1;
        }
        *index > from
    };
    if chars[start] == '-' {
        *index += 1;
        if !chars.get(*index).is_some_and(char::is_ascii_digit) {
            let follows_a_word = start > 0 && is_word_char(chars[start - 1]);
            let hint = if follows_a_word {
                "field names use only ASCII letters, digits and '_'"
            } else {
                "a negative number is written with its digits right after '-', as in -5"
            };
            return Err(format!("unexpected '-' at position {start}; {hint}"));
        }
    }
    let mut well_formed = digits(index);
    if chars.get(*index) == Some(&'.') {
        *index += 1;
        well_formed &= digits(index);
    }
    if chars
        .get(*index)
        .is_some_and(|&character| character == 'e' || character == 'E')
    {
        *index += 1;
        if chars
            .get(*index)
            .is_some_and(|&character| character == '+' || character == '-')
        {
            *index += 1;
        }
        well_formed &= digits(index);
    }
    // "12abc", "1.2.3" and "1e" are one malformed number, not a number and a word.
    while chars
        .get(*index)
        .is_some_and(|&character| is_word_char(character) || character == '.')
    {
        *index += 1;
        well_formed = false;
    }
    let text: String = chars[start..*index].iter().collect();
    if !well_formed {
        return Err(format!(
            "malformed number '{}' at position {start}",
            shorten(&text)
        ));
    }
    match number_value(&text) {
        Some(value) => Ok(TokenKind::Number { value, text }),
        None => Err(format!(
            "number {} at position {start} is out of range",
            shorten(&text)
        )),
    }
}

/// Integers stay exact (`i64`, then `u64`); anything with a fraction or exponent becomes a
/// finite `f64`. An integer too large for `u64` is refused rather than silently rounded.
fn number_value(text: &str) -> Option<Number> {
    if !text.contains(['.', 'e', 'E']) {
        if let Ok(value) = text.parse::<i64>() {
            return Some(value.into());
        }
        return text.parse::<u64>().ok().map(Number::from);
    }
    text.parse::<f64>().ok().and_then(Number::from_f64)
}

/// The message for text at `start` that begins no token, with a hint for the usual mistakes:
/// operators from other languages, double quotes, non-ASCII field names.
fn not_a_token(chars: &[char], start: usize) -> String {
    const OPERATOR_CHARS: &str = "=!<>&|";
    let character = chars[start];
    if OPERATOR_CHARS.contains(character) {
        let symbol: String = chars[start..]
            .iter()
            .take_while(|&&next| OPERATOR_CHARS.contains(next))
            .collect();
        let replacement = match symbol.as_str() {
            "=" | "==" | "===" => "use eq",
            "!=" | "!==" | "<>" => "use ne",
            ">" => "use gt",
            ">=" | "=>" => "use ge",
            "<" => "use lt",
            "<=" | "=<" => "use le",
            "&" | "&&" => "use and",
            "|" | "||" => "use or",
            "!" => "use not",
            _ => "use eq, ne, gt, ge, lt or le",
        };
        return format!(
            "unknown operator '{}' at position {start}; {replacement}",
            shorten(&symbol)
        );
    }
    if character == '"' {
        let content: String = chars[start + 1..]
            .iter()
            .take_while(|&&next| next != '"')
            .collect();
        let closed = start + 1 + content.chars().count() < chars.len();
        let example =
            if closed && !content.is_empty() && content.chars().count() <= MAX_QUOTED_CHARS {
                quote_string(&content)
            } else {
                "'active'".to_owned()
            };
        return format!(
            "unexpected '\"' at position {start}; strings are quoted with single quotes: {example}"
        );
    }
    let shown = shorten(&character.to_string());
    if character.is_alphanumeric() {
        format!(
            "unexpected character '{shown}' at position {start}; field names use only ASCII letters, digits and '_'"
        )
    } else {
        format!("unexpected character '{shown}' at position {start}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<TokenKind> {
        tokenize("$filter", text)
            .into_iter()
            .map(|token| token.kind)
            .collect()
    }

    fn lex_error(text: &str) -> String {
        match tokenize("$filter", text).pop().map(|token| token.kind) {
            Some(TokenKind::Invalid(error)) => error.to_string(),
            other => panic!("expected an error for {text:?}, got {other:?}"),
        }
    }

    fn number(text: &str) -> TokenKind {
        TokenKind::Number {
            value: number_value(text).unwrap(),
            text: text.to_owned(),
        }
    }

    #[test]
    fn words_punctuation_and_positions() {
        let tokens = tokenize("$filter", " address/city eq(x,y)");
        let positions: Vec<usize> = tokens.iter().map(|token| token.position).collect();
        assert_eq!(positions, [1, 8, 9, 14, 16, 17, 18, 19, 20, 21]);
        assert_eq!(tokens[0].kind, TokenKind::Word("address".into()));
        assert_eq!(tokens[1].kind, TokenKind::Slash);
        assert_eq!(tokens[4].kind, TokenKind::OpenParen);
        assert_eq!(tokens[6].kind, TokenKind::Comma);
        assert_eq!(tokens[8].kind, TokenKind::CloseParen);
        assert_eq!(tokens[9].kind, TokenKind::End);
    }

    #[test]
    fn positions_count_chars_not_bytes() {
        let tokens = tokenize("$filter", "'é中🦀' x");
        assert_eq!(tokens[0].kind, TokenKind::String("é中🦀".into()));
        assert_eq!(tokens[1].position, 6);
    }

    #[test]
    fn keywords_ignore_case() {
        let tokens = tokenize("$filter", "AnD");
        assert!(tokens[0].is_keyword("and"));
        assert!(!tokens[0].is_keyword("or"));
    }

    #[test]
    fn strings_unescape_doubled_quotes() {
        assert_eq!(kinds("'O''Brien'")[0], TokenKind::String("O'Brien".into()));
        assert_eq!(kinds("''")[0], TokenKind::String(String::new()));
        assert_eq!(kinds("''''")[0], TokenKind::String("'".into()));
        assert_eq!(kinds("'a b, (c)'")[0], TokenKind::String("a b, (c)".into()));
    }

    #[test]
    fn numbers_of_every_shape() {
        assert_eq!(kinds("42")[0], number("42"));
        assert_eq!(kinds("-7")[0], number("-7"));
        assert_eq!(kinds("3.25")[0], number("3.25"));
        assert_eq!(kinds("-0.5")[0], number("-0.5"));
        assert_eq!(kinds("1e3")[0], number("1e3"));
        assert_eq!(kinds("2.5E-2")[0], number("2.5E-2"));
        assert_eq!(kinds("6e+2")[0], number("6e+2"));
        assert_eq!(
            kinds("18446744073709551615")[0],
            number("18446744073709551615")
        );
        assert!(number_value("-7").unwrap().is_i64());
        assert!(number_value("18446744073709551615").unwrap().is_u64());
        assert!(number_value("1e3").unwrap().is_f64());
    }

    #[test]
    fn malformed_numbers_are_refused() {
        assert_eq!(
            lex_error("12abc"),
            "$filter: malformed number '12abc' at position 0"
        );
        assert_eq!(
            lex_error("x eq 1.2.3"),
            "$filter: malformed number '1.2.3' at position 5"
        );
        assert_eq!(
            lex_error("1e"),
            "$filter: malformed number '1e' at position 0"
        );
        assert_eq!(
            lex_error("1."),
            "$filter: malformed number '1.' at position 0"
        );
        assert_eq!(
            lex_error("1e999"),
            "$filter: number 1e999 at position 0 is out of range"
        );
        assert_eq!(
            lex_error("99999999999999999999"),
            "$filter: number 99999999999999999999 at position 0 is out of range"
        );
    }

    #[test]
    fn lone_minus_is_explained() {
        assert_eq!(
            lex_error("x eq - 5"),
            "$filter: unexpected '-' at position 5; a negative number is written with its digits right after '-', as in -5"
        );
        assert_eq!(
            lex_error("first-name eq 'x'"),
            "$filter: unexpected '-' at position 5; field names use only ASCII letters, digits and '_'"
        );
    }

    #[test]
    fn unterminated_string_names_its_start() {
        assert_eq!(
            lex_error("name eq 'abc"),
            "$filter: unterminated string starting at position 8; end it with ' and write a quote inside a string as ''"
        );
        assert_eq!(
            lex_error("name eq 'it''s"),
            "$filter: unterminated string starting at position 8; end it with ' and write a quote inside a string as ''"
        );
    }

    #[test]
    fn operators_from_other_languages_get_a_hint() {
        assert_eq!(
            lex_error("a == 1"),
            "$filter: unknown operator '==' at position 2; use eq"
        );
        assert_eq!(
            lex_error("a = 1"),
            "$filter: unknown operator '=' at position 2; use eq"
        );
        assert_eq!(
            lex_error("a != 1"),
            "$filter: unknown operator '!=' at position 2; use ne"
        );
        assert_eq!(
            lex_error("a <> 1"),
            "$filter: unknown operator '<>' at position 2; use ne"
        );
        assert_eq!(
            lex_error("a > 1"),
            "$filter: unknown operator '>' at position 2; use gt"
        );
        assert_eq!(
            lex_error("a >= 1"),
            "$filter: unknown operator '>=' at position 2; use ge"
        );
        assert_eq!(
            lex_error("a < 1"),
            "$filter: unknown operator '<' at position 2; use lt"
        );
        assert_eq!(
            lex_error("a <= 1"),
            "$filter: unknown operator '<=' at position 2; use le"
        );
        assert_eq!(
            lex_error("a && b"),
            "$filter: unknown operator '&&' at position 2; use and"
        );
        assert_eq!(
            lex_error("a || b"),
            "$filter: unknown operator '||' at position 2; use or"
        );
        assert_eq!(
            lex_error("!a"),
            "$filter: unknown operator '!' at position 0; use not"
        );
        assert_eq!(
            lex_error("a <<>> 1"),
            "$filter: unknown operator '<<>>' at position 2; use eq, ne, gt, ge, lt or le"
        );
    }

    #[test]
    fn double_quotes_get_a_hint_with_the_value() {
        assert_eq!(
            lex_error("status eq \"open\""),
            "$filter: unexpected '\"' at position 10; strings are quoted with single quotes: 'open'"
        );
        assert_eq!(
            lex_error("status eq \"open"),
            "$filter: unexpected '\"' at position 10; strings are quoted with single quotes: 'active'"
        );
    }

    #[test]
    fn stray_characters_are_named() {
        assert_eq!(
            lex_error("a # b"),
            "$filter: unexpected character '#' at position 2"
        );
        assert_eq!(
            lex_error("städt eq 1"),
            "$filter: unexpected character 'ä' at position 2; field names use only ASCII letters, digits and '_'"
        );
        assert_eq!(
            lex_error("a\u{0}"),
            "$filter: unexpected character '\\u{0}' at position 1"
        );
    }

    #[test]
    fn tokens_stop_at_the_first_invalid_text() {
        let tokens = tokenize("$filter", "a == 1 and 'b");
        assert_eq!(tokens.len(), 2);
        assert!(matches!(tokens[1].kind, TokenKind::Invalid(_)));
    }

    #[test]
    fn long_text_is_shortened_in_messages() {
        let long = "x".repeat(100);
        assert_eq!(shorten(&long), format!("{}…", "x".repeat(40)));
        assert_eq!(shorten("a\nb"), "a\\nb");
        assert_eq!(quote_string("it's"), "'it''s'");
    }

    #[test]
    fn cursor_refuses_text_over_the_limit() {
        let text = "a".repeat(MAX_OPTION_BYTES + 1);
        let error = Cursor::new("$filter", &text).err().unwrap();
        assert_eq!(
            error.to_string(),
            "$filter: too long: 8193 bytes, the limit is 8192 bytes (8 KiB)"
        );
        assert_eq!(error.position, None);
        assert!(Cursor::new("$filter", &"a".repeat(MAX_OPTION_BYTES)).is_ok());
    }

    #[test]
    fn cursor_never_moves_past_the_end() {
        let mut cursor = Cursor::new("$select", "a").unwrap();
        assert_eq!(cursor.peek_second().kind, TokenKind::End);
        cursor.advance();
        cursor.advance();
        cursor.advance();
        assert_eq!(cursor.peek().kind, TokenKind::End);
        assert_eq!(cursor.peek_second().kind, TokenKind::End);
        assert_eq!(
            cursor.expected("expected ','", Some("a hint")).to_string(),
            "$select: expected ',' at position 1, found end of input; a hint"
        );
    }
}
