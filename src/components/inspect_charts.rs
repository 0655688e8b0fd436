//! The inspector's live charts: events and bytes per second over the last minute and the
//! spread of the gaps between events, drawn as SVG by the app (no chart library) from
//! [`crate::inspect::charts`]. Redrawn once a second (the inspector's clock), whatever the
//! event rate, so a fast stream costs the charts nothing more.

use leptos::prelude::*;

use crate::i18n::{inspect_strings, Lang};
use crate::inspect::charts::{gap_histogram, histogram_bars, rates, Rate, GAP_BUCKETS};
use crate::inspect::Inspector;

const W: u32 = 240;
const H: u32 = 48;

#[component]
pub fn InspectCharts(
    model: StoredValue<Inspector, LocalStorage>,
    now: RwSignal<f64>,
    lang: Signal<Lang>,
) -> impl IntoView {
    let t = move || inspect_strings(lang.get());
    let data = Memo::new(move |_| {
        let now = now.get();
        model.with_value(|m| (rates(m, now), gap_histogram(m)))
    });
    let rate = move |label: &'static str, testid: &'static str, r: Rate| {
        let max = r.max();
        let caption = format!("{label} · {} {max}", t().chart_max);
        view! {
            <figure class="rill-inspect-chart" data-testid=testid data-total=r.total().to_string() data-max=max.to_string()>
                <svg viewBox=format!("0 0 {W} {H}") preserveAspectRatio="none" role="img" aria-label=caption.clone()>
                    <path d=r.bars(W, H) />
                </svg>
                <figcaption>{caption}</figcaption>
            </figure>
        }
    };
    view! {
        <section class="rill-card rill-inspect-charts" aria-labelledby="inspect-charts-title">
            <h2 id="inspect-charts-title">{move || t().charts_title}</h2>
            <div class="rill-inspect-chart-grid">
                {move || {
                    let ((events, bytes), gaps) = data.get();
                    let t = t();
                    let spread = GAP_BUCKETS
                        .iter()
                        .zip(gaps)
                        .map(|(b, n)| format!("{b}: {n}"))
                        .collect::<Vec<_>>()
                        .join(" · ");
                    let total: u64 = gaps.iter().sum();
                    view! {
                        {rate(t.chart_events, "inspect-chart-events", events)}
                        {rate(t.chart_bytes, "inspect-chart-bytes", bytes)}
                        <figure class="rill-inspect-chart" data-testid="inspect-chart-gaps" data-total=total.to_string()>
                            <svg viewBox=format!("0 0 {W} {H}") preserveAspectRatio="none" role="img" aria-label=format!("{}: {spread}", t.chart_gaps)>
                                <path d=histogram_bars(&gaps, W, H) />
                            </svg>
                            <figcaption>{t.chart_gaps}": "{spread}</figcaption>
                        </figure>
                    }
                }}
            </div>
        </section>
    }
}
