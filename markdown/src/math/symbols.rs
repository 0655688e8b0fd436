//! The TeX commands that stand for one symbol: Greek letters, operators, relations, arrows,
//! big operators and named functions, with the MathML element each becomes. It must not
//! hold commands that take arguments (those are in `math.rs`).

/// How a symbol is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    /// An identifier (`mi`): letters, `\infty`.
    Ident,
    /// An operator, relation, arrow or delimiter (`mo`).
    Op,
    /// A big operator whose scripts go under and over it in display math (`\sum`).
    Limits,
    /// A big operator whose scripts stay at its side (`\int`).
    Side,
    /// A named function (`\sin`): an upright identifier.
    Func,
}

/// The symbol a command without arguments names.
pub(crate) fn lookup(name: &str) -> Option<(&'static str, Class)> {
    if let Some((_, text)) = GREEK.iter().find(|(n, _)| *n == name) {
        return Some((text, Class::Ident));
    }
    if let Some((_, text)) = IDENTS.iter().find(|(n, _)| *n == name) {
        return Some((text, Class::Ident));
    }
    if let Some((_, text)) = OPERATORS.iter().find(|(n, _)| *n == name) {
        return Some((text, Class::Op));
    }
    if let Some((_, text)) = LIMITS.iter().find(|(n, _)| *n == name) {
        return Some((text, Class::Limits));
    }
    if let Some((_, text)) = SIDE.iter().find(|(n, _)| *n == name) {
        return Some((text, Class::Side));
    }
    FUNCS
        .iter()
        .find(|n| **n == name)
        .map(|n| (*n, Class::Func))
}

const GREEK: &[(&str, &str)] = &[
    ("alpha", "α"),
    ("beta", "β"),
    ("gamma", "γ"),
    ("delta", "δ"),
    ("epsilon", "ϵ"),
    ("varepsilon", "ε"),
    ("zeta", "ζ"),
    ("eta", "η"),
    ("theta", "θ"),
    ("vartheta", "ϑ"),
    ("iota", "ι"),
    ("kappa", "κ"),
    ("lambda", "λ"),
    ("mu", "μ"),
    ("nu", "ν"),
    ("xi", "ξ"),
    ("omicron", "ο"),
    ("pi", "π"),
    ("varpi", "ϖ"),
    ("rho", "ρ"),
    ("varrho", "ϱ"),
    ("sigma", "σ"),
    ("varsigma", "ς"),
    ("tau", "τ"),
    ("upsilon", "υ"),
    ("phi", "ϕ"),
    ("varphi", "φ"),
    ("chi", "χ"),
    ("psi", "ψ"),
    ("omega", "ω"),
    ("Gamma", "Γ"),
    ("Delta", "Δ"),
    ("Theta", "Θ"),
    ("Lambda", "Λ"),
    ("Xi", "Ξ"),
    ("Pi", "Π"),
    ("Sigma", "Σ"),
    ("Upsilon", "Υ"),
    ("Phi", "Φ"),
    ("Psi", "Ψ"),
    ("Omega", "Ω"),
];

const IDENTS: &[(&str, &str)] = &[
    ("infty", "∞"),
    ("partial", "∂"),
    ("nabla", "∇"),
    ("emptyset", "∅"),
    ("varnothing", "∅"),
    ("hbar", "ℏ"),
    ("ell", "ℓ"),
    ("Re", "ℜ"),
    ("Im", "ℑ"),
    ("aleph", "ℵ"),
    ("wp", "℘"),
    ("imath", "ı"),
    ("jmath", "ȷ"),
    ("top", "⊤"),
    ("bot", "⊥"),
    ("angle", "∠"),
    ("triangle", "△"),
    ("square", "□"),
    ("Box", "□"),
    ("checkmark", "✓"),
    ("dagger", "†"),
    ("ddagger", "‡"),
    ("S", "§"),
    ("P", "¶"),
    ("complement", "∁"),
];

const OPERATORS: &[(&str, &str)] = &[
    ("pm", "±"),
    ("mp", "∓"),
    ("times", "×"),
    ("div", "÷"),
    ("cdot", "⋅"),
    ("ast", "∗"),
    ("star", "⋆"),
    ("circ", "∘"),
    ("bullet", "∙"),
    ("oplus", "⊕"),
    ("ominus", "⊖"),
    ("otimes", "⊗"),
    ("odot", "⊙"),
    ("oslash", "⊘"),
    ("cup", "∪"),
    ("cap", "∩"),
    ("setminus", "∖"),
    ("wedge", "∧"),
    ("land", "∧"),
    ("vee", "∨"),
    ("lor", "∨"),
    ("neg", "¬"),
    ("lnot", "¬"),
    ("sqcup", "⊔"),
    ("sqcap", "⊓"),
    ("uplus", "⊎"),
    ("amalg", "⨿"),
    ("leq", "≤"),
    ("le", "≤"),
    ("geq", "≥"),
    ("ge", "≥"),
    ("neq", "≠"),
    ("ne", "≠"),
    ("leqslant", "⩽"),
    ("geqslant", "⩾"),
    ("approx", "≈"),
    ("equiv", "≡"),
    ("sim", "∼"),
    ("simeq", "≃"),
    ("cong", "≅"),
    ("propto", "∝"),
    ("ll", "≪"),
    ("gg", "≫"),
    ("prec", "≺"),
    ("succ", "≻"),
    ("preceq", "⪯"),
    ("succeq", "⪰"),
    ("doteq", "≐"),
    ("subset", "⊂"),
    ("subseteq", "⊆"),
    ("supset", "⊃"),
    ("supseteq", "⊇"),
    ("subsetneq", "⊊"),
    ("supsetneq", "⊋"),
    ("in", "∈"),
    ("notin", "∉"),
    ("ni", "∋"),
    ("forall", "∀"),
    ("exists", "∃"),
    ("nexists", "∄"),
    ("mid", "∣"),
    ("nmid", "∤"),
    ("parallel", "∥"),
    ("perp", "⟂"),
    ("vdash", "⊢"),
    ("dashv", "⊣"),
    ("models", "⊨"),
    ("to", "→"),
    ("rightarrow", "→"),
    ("leftarrow", "←"),
    ("gets", "←"),
    ("leftrightarrow", "↔"),
    ("Rightarrow", "⇒"),
    ("Leftarrow", "⇐"),
    ("Leftrightarrow", "⇔"),
    ("iff", "⟺"),
    ("implies", "⟹"),
    ("impliedby", "⟸"),
    ("mapsto", "↦"),
    ("longmapsto", "⟼"),
    ("longrightarrow", "⟶"),
    ("longleftarrow", "⟵"),
    ("Longrightarrow", "⟹"),
    ("Longleftarrow", "⟸"),
    ("longleftrightarrow", "⟷"),
    ("Longleftrightarrow", "⟺"),
    ("uparrow", "↑"),
    ("downarrow", "↓"),
    ("updownarrow", "↕"),
    ("Uparrow", "⇑"),
    ("Downarrow", "⇓"),
    ("nearrow", "↗"),
    ("searrow", "↘"),
    ("swarrow", "↙"),
    ("nwarrow", "↖"),
    ("hookrightarrow", "↪"),
    ("hookleftarrow", "↩"),
    ("rightleftharpoons", "⇌"),
    ("leadsto", "⇝"),
    ("ldots", "…"),
    ("dots", "…"),
    ("cdots", "⋯"),
    ("vdots", "⋮"),
    ("ddots", "⋱"),
    ("dotsc", "…"),
    ("dotsb", "⋯"),
    ("prime", "′"),
    ("colon", ":"),
    ("vert", "|"),
    ("lvert", "|"),
    ("rvert", "|"),
    ("Vert", "‖"),
    ("lVert", "‖"),
    ("rVert", "‖"),
    ("|", "‖"),
    ("langle", "⟨"),
    ("rangle", "⟩"),
    ("lfloor", "⌊"),
    ("rfloor", "⌋"),
    ("lceil", "⌈"),
    ("rceil", "⌉"),
    ("lbrace", "{"),
    ("rbrace", "}"),
    ("lbrack", "["),
    ("rbrack", "]"),
    ("{", "{"),
    ("}", "}"),
    ("backslash", "∖"),
    ("#", "#"),
    ("%", "%"),
    ("&", "&"),
    ("_", "_"),
    ("$", "$"),
    ("therefore", "∴"),
    ("because", "∵"),
    ("triangleq", "≜"),
    ("coloneqq", "≔"),
    ("wr", "≀"),
    ("diamond", "⋄"),
    ("bigtriangleup", "△"),
    ("bigtriangledown", "▽"),
    ("lhd", "⊲"),
    ("rhd", "⊳"),
    ("cdotp", "⋅"),
    ("ldotp", "."),
];

const LIMITS: &[(&str, &str)] = &[
    ("sum", "∑"),
    ("prod", "∏"),
    ("coprod", "∐"),
    ("bigcup", "⋃"),
    ("bigcap", "⋂"),
    ("bigoplus", "⨁"),
    ("bigotimes", "⨂"),
    ("bigodot", "⨀"),
    ("bigvee", "⋁"),
    ("bigwedge", "⋀"),
    ("bigsqcup", "⨆"),
    ("biguplus", "⨄"),
    ("lim", "lim"),
    ("limsup", "lim sup"),
    ("liminf", "lim inf"),
    ("max", "max"),
    ("min", "min"),
    ("sup", "sup"),
    ("inf", "inf"),
    ("det", "det"),
    ("gcd", "gcd"),
    ("Pr", "Pr"),
    ("argmax", "arg max"),
    ("argmin", "arg min"),
];

const SIDE: &[(&str, &str)] = &[
    ("int", "∫"),
    ("iint", "∬"),
    ("iiint", "∭"),
    ("oint", "∮"),
    ("oiint", "∯"),
];

const FUNCS: &[&str] = &[
    "sin", "cos", "tan", "cot", "sec", "csc", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh",
    "coth", "log", "ln", "lg", "exp", "dim", "ker", "arg", "hom", "deg", "sgn", "Tr", "tr", "rank",
    "mod", "bmod",
];

/// `c` in a math alphabet (`\mathbb`, `\mathbf`, …), or `c` itself where the alphabet has no
/// such letter.
pub(crate) fn styled(c: char, style: Style) -> char {
    let (upper, lower, digit, holes): (u32, u32, u32, &[(char, char)]) = match style {
        Style::Bold => (0x1D400, 0x1D41A, 0x1D7CE, &[]),
        Style::DoubleStruck => (
            0x1D538,
            0x1D552,
            0x1D7D8,
            &[
                ('C', 'ℂ'),
                ('H', 'ℍ'),
                ('N', 'ℕ'),
                ('P', 'ℙ'),
                ('Q', 'ℚ'),
                ('R', 'ℝ'),
                ('Z', 'ℤ'),
            ],
        ),
        Style::Script => (
            0x1D49C,
            0x1D4B6,
            0,
            &[
                ('B', 'ℬ'),
                ('E', 'ℰ'),
                ('F', 'ℱ'),
                ('H', 'ℋ'),
                ('I', 'ℐ'),
                ('L', 'ℒ'),
                ('M', 'ℳ'),
                ('R', 'ℛ'),
                ('e', 'ℯ'),
                ('g', 'ℊ'),
                ('o', 'ℴ'),
            ],
        ),
        Style::Fraktur => (
            0x1D504,
            0x1D51E,
            0,
            &[('C', 'ℭ'), ('H', 'ℌ'), ('I', 'ℑ'), ('R', 'ℜ'), ('Z', 'ℨ')],
        ),
        Style::SansSerif => (0x1D5A0, 0x1D5BA, 0x1D7E2, &[]),
        Style::Monospace => (0x1D670, 0x1D68A, 0x1D7F6, &[]),
        Style::Upright | Style::Italic => return c,
    };
    if let Some((_, hole)) = holes.iter().find(|(from, _)| *from == c) {
        return *hole;
    }
    let code = match c {
        'A'..='Z' => upper + (c as u32 - 'A' as u32),
        'a'..='z' => lower + (c as u32 - 'a' as u32),
        '0'..='9' if digit != 0 => digit + (c as u32 - '0' as u32),
        _ => return c,
    };
    char::from_u32(code).unwrap_or(c)
}

/// A math alphabet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    Upright,
    Italic,
    Bold,
    DoubleStruck,
    Script,
    Fraktur,
    SansSerif,
    Monospace,
}
