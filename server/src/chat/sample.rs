//! The demo model's fixed samples (`[[sample:code]]`, `[[sample:math]]`): markdown replies
//! with fenced code in several languages and TeX math, so that highlighting and MathML can be
//! tried and tested against the built-in model. It must not depend on the prompt.

/// Which sample a `[[sample:name]]` marker asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sample {
    Code,
    Math,
}

impl Sample {
    /// The sample named `name`, if there is one.
    pub fn from_name(name: &str) -> Option<Sample> {
        match name {
            "code" => Some(Sample::Code),
            "math" => Some(Sample::Math),
            _ => None,
        }
    }

    /// The sample's markdown.
    pub fn text(self) -> &'static str {
        match self {
            Sample::Code => CODE,
            Sample::Math => MATH,
        }
    }
}

const CODE: &str = r#"Here is the same idea in a few languages.

```rust
/// Adds one to every value.
fn bump(values: &mut Vec<i32>) -> usize {
    for v in values.iter_mut() {
        *v += 1; // in place
    }
    values.len()
}
```

```python
@dataclass
class Point:
    x: float = 0.0

def norm(p: Point) -> float:
    """Length of the vector."""
    return (p.x ** 2) ** 0.5  # always >= 0
```

```js
const total = items.reduce((sum, item) => sum + item.price, 0);
console.log(`total: ${total}`, null);
```

```json
{"name": "rill", "version": 2, "private": true, "tags": ["sse", null]}
```

```bash
# build and serve
cargo build --release && ./target/release/rill-server --port 8844 "$HOME/dist"
```

```html
<p class="note">Use <code>&lt;script&gt;</code> with care.</p>
<script>alert("never runs")</script>
```

```css
.note:hover { color: #0b6bcb; margin: 0 4px !important; }
```

```sql
SELECT name, count(*) FROM users WHERE age > 21 GROUP BY name; -- adults
```
"#;

const MATH: &str = r#"Euler's identity is $e^{i\pi} + 1 = 0$, and a price like $5 or $10 stays text.

The quadratic formula:

$$x = \frac{-b \pm \sqrt{b^2 - 4ac}}{2a}$$

A sum and an integral, \(\sum_{k=1}^{n} k = \frac{n(n+1)}{2}\) and

\[\int_0^\infty e^{-x^2}\,dx = \frac{\sqrt{\pi}}{2}\]

A matrix and cases:

$$\begin{pmatrix} a & b \\ c & d \end{pmatrix}, \quad |x| = \begin{cases} x & x \ge 0 \\ -x & x < 0 \end{cases}$$

Sets: $\forall x \in \mathbb{R},\ x^2 \geq 0$; limits: $\lim_{n \to \infty} \left(1 + \frac{1}{n}\right)^n = e$.
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_texts() {
        assert_eq!(Sample::from_name("code"), Some(Sample::Code));
        assert_eq!(Sample::from_name("math"), Some(Sample::Math));
        assert_eq!(Sample::from_name("x"), None);
        for lang in [
            "```rust",
            "```python",
            "```js",
            "```json",
            "```bash",
            "```html",
            "```css",
            "```sql",
        ] {
            assert!(Sample::Code.text().contains(lang), "{lang}");
        }
        for math in ["$$", "\\(", "\\[", "\\frac", "\\begin{pmatrix}", "\\mathbb"] {
            assert!(Sample::Math.text().contains(math), "{math}");
        }
    }
}
