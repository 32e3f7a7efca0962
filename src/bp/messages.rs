//! What both message-passing forms share: the variable side (fields and magnetisations m_i of the weights),
//! the focusing term added to it, and the interface the protocol driver runs.

use super::special::atanh_clamped;

/// The extra field on each weight at one step of a protocol.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Focus {
    /// Plain BP: no extra field.
    None,
    /// y − 1 virtual replicas coupled to a centre with strength γ: the centre sends each replica
    /// m̂_i = tanh γ · tanh[(y − 1) atanh(m_i^cav tanh γ)], with m_i^cav the magnetisation without that message.
    Replicas { gamma: f64, y: f64 },
    /// Standard reinforcement: the extra field becomes ρ times the weight's previous total field.
    Reinforce { rho: f64 },
}

/// The variable side of BP: the fields on each weight and its magnetisation m_i = tanh(h_i).
#[derive(Clone, Debug)]
pub struct Marginals {
    /// External field (γ·W̃_i for the local entropy, else 0).
    pub ext: Vec<f64>,
    /// Sum of the pattern factors' messages Σ_μ u_{μ→i}.
    pub pattern: Vec<f64>,
    /// The focusing or reinforcement field.
    pub focus: Vec<f64>,
    /// Total field h_i = ext + pattern + focus.
    pub field: Vec<f64>,
    /// m_i = tanh(h_i).
    pub m: Vec<f64>,
}

impl Marginals {
    pub fn new(n: usize) -> Self {
        Marginals {
            ext: vec![0.0; n],
            pattern: vec![0.0; n],
            focus: vec![0.0; n],
            field: vec![0.0; n],
            m: vec![0.0; n],
        }
    }

    /// Takes the new pattern fields, recomputes the focusing field and the magnetisations; returns the largest
    /// change of an m_i.
    pub fn update(&mut self, focus: Focus) -> f64 {
        let mut delta = 0.0f64;
        for i in 0..self.m.len() {
            let cav = self.ext[i] + self.pattern[i];
            self.focus[i] = match focus {
                Focus::None => 0.0,
                Focus::Replicas { gamma, y } => {
                    let t = gamma.tanh();
                    let centre = (y - 1.0) * atanh_clamped(cav.tanh() * t);
                    atanh_clamped(t * centre.tanh())
                }
                Focus::Reinforce { rho } => rho * self.field[i],
            };
            self.field[i] = cav + self.focus[i];
            let m = self.field[i].tanh();
            delta = delta.max((m - self.m[i]).abs());
            self.m[i] = m;
        }
        delta
    }

    /// sign(m_i) as ±1 (+1 at m_i = 0).
    pub fn signs(&self) -> Vec<i8> {
        self.m
            .iter()
            .map(|&m| if m < 0.0 { -1 } else { 1 })
            .collect()
    }
}

/// One message-passing form (full BP or its relaxed AMP form) as the protocol driver sees it.
pub trait Engine {
    /// One synchronous sweep of all messages with the given focusing term; returns the largest change of a
    /// magnetisation m_i.
    fn iterate(&mut self, focus: Focus, damping: f64) -> f64;
    /// The variable side.
    fn marginals(&self) -> &Marginals;
    /// Misclassified patterns of sign(m), by the engine's own copy of the patterns.
    fn errors_of_signs(&self) -> u64;
}
