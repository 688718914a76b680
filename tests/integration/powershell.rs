//! PowerShell cannot be installed here: its output is checked with the tree-sitter grammar.
//! Every assignment must be `$Env:NAME = '<single-quoted string>'` and nothing else, and the
//! string's content, unescaped, must equal the value.

pub fn parse(code: &str) -> tree_sitter::Tree {
    let mut parser = tree_sitter::Parser::new();
    parser
        .set_language(&tree_sitter_powershell::LANGUAGE.into())
        .expect("load the PowerShell grammar");
    parser.parse(code, None).expect("parse")
}

fn is_quote(c: char) -> bool {
    matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}')
}

/// The content of a verbatim string literal: quote characters come doubled.
fn unescape(literal: &str) -> String {
    let inner: Vec<char> = literal.chars().collect();
    assert!(
        inner.len() >= 2 && is_quote(inner[0]) && is_quote(inner[inner.len() - 1]),
        "not single-quoted: {literal}"
    );
    let inner = &inner[1..inner.len() - 1];
    let mut out = String::new();
    let mut i = 0;
    while i < inner.len() {
        let c = inner[i];
        if is_quote(c) {
            assert!(
                i + 1 < inner.len() && inner[i + 1] == c,
                "lone quote in {literal}"
            );
            i += 1;
        }
        out.push(c);
        i += 1;
    }
    out
}

fn collect<'a>(node: tree_sitter::Node<'a>, kind: &str, out: &mut Vec<tree_sitter::Node<'a>>) {
    if node.kind() == kind {
        out.push(node);
    }
    let mut cursor = node.walk();
    for child in node.children(&mut cursor) {
        collect(child, kind, out);
    }
}

/// (name, value) for every assignment, checking the shape of each.
pub fn assignments(code: &str) -> Vec<(String, String)> {
    let tree = parse(code);
    let root = tree.root_node();
    assert!(!root.has_error(), "PowerShell syntax error in:\n{code}");
    let text = |n: tree_sitter::Node| n.utf8_text(code.as_bytes()).expect("utf8").to_string();
    let mut nodes = Vec::new();
    collect(root, "assignment_expression", &mut nodes);
    nodes
        .into_iter()
        .map(|a| {
            let mut vars = Vec::new();
            collect(a, "variable", &mut vars);
            assert_eq!(vars.len(), 1, "one variable in {}", text(a));
            let name = text(vars[0]);
            let name = name
                .strip_prefix("$Env:")
                .unwrap_or_else(|| panic!("not an env assignment: {name}"))
                .to_string();
            let value = a.child_by_field_name("value").expect("value");
            let mut strings = Vec::new();
            collect(value, "string_literal", &mut strings);
            assert_eq!(strings.len(), 1, "one string in {}", text(value));
            assert_eq!(
                text(strings[0]),
                text(value).trim(),
                "the value is the string alone"
            );
            let mut verbatim = Vec::new();
            collect(strings[0], "verbatim_string_characters", &mut verbatim);
            assert_eq!(
                verbatim.len(),
                1,
                "single-quoted (verbatim): {}",
                text(value)
            );
            (name, unescape(&text(strings[0])))
        })
        .collect()
}

#[test]
fn checker_rejects_what_powershell_would_misread() {
    assert_eq!(
        assignments("$Env:A = 'it''s'\n"),
        [("A".to_string(), "it's".to_string())]
    );
    assert!(std::panic::catch_unwind(|| assignments("$Env:A = 'unterminated\n")).is_err());
    assert!(std::panic::catch_unwind(|| assignments("$Env:A = \"double $x\"\n")).is_err());
    assert!(std::panic::catch_unwind(|| assignments("$Env:A = 'a' + (x)\n")).is_err());
}
