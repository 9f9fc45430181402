//! The one field-layout table: it packs the memory words, writes the
//! README's bit-field tables and the header's LSB/width constants, so the
//! three cannot drift apart.

use spikefab_chip::model::{VisitKind, WordField};
use spikefab_chip::{Arch, CoreProgram, Model, ModelKind, NumberFormat};

use crate::ExportError;

/// One memory word: every field of a layout, from bit 0 up (a neuron word
/// with every optional field passes 128 bits).
pub type Word = ruint::Uint<256, 4>;

/// One bit field of a memory word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    pub width: u32,
    pub signed: bool,
    pub doc: &'static str,
}

/// A memory word: fields from bit 0 upwards, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Memory kind, as in file names (`neurons`, `synapses`, …).
    pub memory: &'static str,
    pub fields: Vec<Field>,
}

pub(crate) fn bits_for(n: u64) -> u32 {
    (64 - n.saturating_sub(1).leading_zeros()).max(1)
}

impl Layout {
    pub fn width(&self) -> u32 {
        self.fields.iter().map(|f| f.width).sum()
    }

    /// Position of the field `name` in [`Layout::fields`].
    pub fn index(&self, name: &str) -> usize {
        self.fields
            .iter()
            .position(|f| f.name == name)
            .unwrap_or_else(|| panic!("layout '{}' has no field '{name}'", self.memory))
    }

    /// Least significant bit of each field.
    pub fn lsb(&self, name: &str) -> u32 {
        let mut at = 0;
        for f in &self.fields {
            if f.name == name {
                return at;
            }
            at += f.width;
        }
        panic!("layout '{}' has no field '{name}'", self.memory)
    }

    /// Packs `values` (one per field, in order) into a word; a value outside its
    /// field's range is an error naming `place` and the field.
    pub fn pack(&self, values: &[i64], place: &dyn Fn() -> String) -> Result<Word, ExportError> {
        if self.width() > Word::BITS as u32 {
            return Err(ExportError::Unsupported(format!(
                "the {} memory's word is {} bits; the exporter packs at most {}",
                self.memory,
                self.width(),
                Word::BITS
            )));
        }
        let mut word = Word::ZERO;
        let mut at = 0;
        for (f, &v) in self.fields.iter().zip(values) {
            let (lo, hi) = if f.signed {
                (-(1i64 << (f.width - 1)), (1i64 << (f.width - 1)) - 1)
            } else {
                (0, ((1u128 << f.width) - 1).min(i64::MAX as u128) as i64)
            };
            if v < lo || v > hi {
                return Err(ExportError::FieldRange {
                    place: place(),
                    memory: self.memory,
                    field: f.name,
                    value: v,
                    width: f.width,
                    signed: f.signed,
                });
            }
            let mask = (1u128 << f.width) - 1;
            word |= Word::from((v as i128 as u128) & mask) << at as usize;
            at += f.width;
        }
        Ok(word)
    }

    /// Hex digits per word.
    pub fn hex_digits(&self) -> usize {
        self.width().div_ceil(4) as usize
    }
}

/// Every memory layout of a program's export.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layouts {
    pub neuron: Layout,
    pub synapse: Layout,
    pub axon_ptr: Layout,
    pub route_ptr: Layout,
    pub route: Layout,
    pub outmap: Layout,
    pub in_ptr: Layout,
    pub stimulus: Layout,
    /// Schedule entries and their per-core directory, when the program's
    /// groups have schedules (model/schedule.rs); the neuron word then
    /// carries `sched`.
    pub schedule: Option<(Layout, Layout)>,
    /// The learning engine's tables, when the program has plastic synapses
    /// (model/plasticity.rs); the synapse word then carries `rule`.
    pub learning: Option<LearningLayouts>,
}

/// The learning engine's tables of a core: its rules (with each rule's
/// range of the plastic-synapse list), the traces it updates every step,
/// and the plastic synapses with what each joins.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LearningLayouts {
    pub rules: Layout,
    pub traces: Layout,
    pub synapses: Layout,
}

/// Whether any synapse of the program shifts its weight (per-projection exponents).
pub fn uses_weight_shifts(p: &CoreProgram) -> bool {
    p.cores
        .iter()
        .any(|c| c.synapses.shift.iter().any(|&x| x != 0))
}

/// Whether any core of the program has plastic synapses.
pub fn uses_learning(p: &CoreProgram) -> bool {
    p.cores
        .iter()
        .any(|c| c.synapses.rule.iter().any(|&r| r != 0))
}

/// Whether any group of the program is noisy.
pub fn uses_noise(p: &CoreProgram) -> bool {
    p.cores
        .iter()
        .any(|c| c.groups.iter().any(|g| g.noise.is_some()))
}

/// Whether any group of the program has dendritic branches.
pub fn uses_dendrites(p: &CoreProgram) -> bool {
    p.cores
        .iter()
        .any(|c| c.groups.iter().any(|g| g.dendrites.is_some()))
}

/// Whether any group of the program has a schedule.
pub fn uses_schedules(p: &CoreProgram) -> bool {
    p.cores
        .iter()
        .any(|c| c.groups.iter().any(|g| g.schedule.is_some()))
}

/// The neuron word: the model code, the group's weight exponent, then the
/// parameter fields of every model the RTL has a block for (those with a
/// third state word only when the program uses them), each name once
/// (models that share a field, such as the LIF family's `du`, share its
/// bits). A model without a block is refused before any table is laid out.
fn neuron_fields(f: &NumberFormat, used: &[ModelKind]) -> Vec<Field> {
    struct Fields<'a>(&'a NumberFormat);
    impl VisitKind for Fields<'_> {
        type Out = Vec<WordField>;
        fn visit<M: Model>(self) -> Vec<WordField> {
            M::word_fields(self.0)
        }
    }
    let mut fields = vec![
        Field {
            name: "model",
            width: model_code_bits(),
            signed: false,
            doc: model_codes(),
        },
        Field {
            name: "reset",
            width: 5,
            signed: false,
            doc: "the group's reset: 0 = to zero after a spike; k = subtract the threshold per spike, up to k spikes a step",
        },
        Field {
            name: "weight_exp",
            width: 5,
            signed: true,
            doc: "a_in = (Σ w) · 2^weight_exp",
        },
    ];
    // A block with the third state word adds its fields only to programs
    // that use it, so every other program's tables stay as they were.
    for k in ModelKind::ALL
        .iter()
        .filter(|&&k| crate::models::block(k).is_some_and(|b| !b.state_a || used.contains(&k)))
    {
        for w in k.visit(Fields(f)) {
            match fields.iter().find(|x| x.name == w.name) {
                Some(x) => assert!(
                    x.width == w.width && x.signed == w.signed,
                    "models disagree on the neuron-word field '{}'",
                    w.name
                ),
                None => fields.push(Field {
                    name: w.name,
                    width: w.width,
                    signed: w.signed,
                    doc: w.doc,
                }),
            }
        }
    }
    fields
}

/// Bits of the neuron word's model code: enough for every registered model.
pub(crate) fn model_code_bits() -> u32 {
    bits_for(ModelKind::ALL.len() as u64)
}

/// "0 = CUBA LIF, 1 = IF, …", from the model registry.
fn model_codes() -> &'static str {
    static CODES: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    CODES.get_or_init(|| {
        ModelKind::ALL
            .iter()
            .map(|k| format!("{} = {}", k.code(), k.name()))
            .collect::<Vec<_>>()
            .join(", ")
    })
}

impl Layouts {
    pub fn for_program(p: &CoreProgram) -> Layouts {
        let a: &Arch = &p.arch;
        let f = &a.format;
        let delay = bits_for(a.core.max_delay as u64 + 1);
        let neuron_id = bits_for(a.core.max_neurons as u64);
        let syn_ptr = bits_for(a.core.max_synapses as u64 + 1);
        let route_ptr = bits_for(a.core.max_routes as u64 + 1);
        let core = bits_for(p.cores.len() as u64);
        let axon = bits_for(a.core.max_axons as u64);
        let out_channel = bits_for(p.outputs.len() as u64);
        let in_ptr = bits_for(p.inputs.len() as u64 + 1);
        let fld = |name, width, signed, doc| Field {
            name,
            width,
            signed,
            doc,
        };
        let schedules = uses_schedules(p);
        let entries = a.core.schedule_entries as u64;
        let mut neuron = neuron_fields(f, &crate::models::used(p));
        if uses_noise(p) {
            neuron.extend([
                fld(
                    "noise_on",
                    1,
                    false,
                    "1: the group is noisy (a draw per neuron and step)",
                ),
                fld(
                    "noise_mant",
                    2,
                    true,
                    "the draw's offset in units of 64 (-2..=1)",
                ),
                fld(
                    "noise_exp",
                    bits_for(spikefab_chip::model::Noise::max_exp(f) as u64 + 1),
                    false,
                    "noise = ((r - 128) + 64 mant) * 2^(exp - 7)",
                ),
            ]);
        }
        if uses_dendrites(p) {
            neuron.extend([
                fld(
                    "branches",
                    bits_for(spikefab_chip::model::dendrites::MAX_BRANCHES as u64 + 1),
                    false,
                    "0: a point neuron; K: K dendritic branches (its next K input slots)",
                ),
                fld(
                    "cap",
                    f.state_bits as u32 - 1,
                    false,
                    "a branch adds min(max(acc * 2^weight_exp, 0), cap) to the soma input",
                ),
            ]);
        }
        if schedules {
            neuron.push(fld(
                "sched",
                bits_for(entries + 2),
                false,
                "the group's schedule: its directory entry + 1, or 0 for none",
            ));
        }
        let learning = uses_learning(p);
        let rule_id = bits_for(spikefab_chip::model::plasticity::MAX_RULES as u64 + 1);
        let mut synapse = vec![
            fld(
                "post",
                neuron_id,
                false,
                "target input slot in the core (a neuron's, or a dendritic branch's)",
            ),
            fld("weight", f.weight_bits as u32, true, "weight mantissa"),
            fld(
                "delay",
                delay,
                false,
                "synaptic delay in steps (0 = next step)",
            ),
        ];
        if uses_weight_shifts(p) {
            synapse.push(fld(
                "shift",
                bits_for((f.weight_exp_max as i64 - f.weight_exp_min as i64 + 1) as u64),
                false,
                "the weight's left shift into the accumulator: its projection's exponent less its group's",
            ));
        }
        if learning {
            synapse.push(fld(
                "rule",
                rule_id,
                false,
                "0: a static synapse; k: plastic under the core's learning rule k - 1 (it delivers clamp(weight + round(a / 256)))",
            ));
        }
        Layouts {
            learning: learning.then(|| LearningLayouts {
                rules: Layout {
                    memory: "learn_rules",
                    fields: vec![
                        fld("epoch", 16, false, "steps between weight updates"),
                        fld(
                            "phase",
                            16,
                            false,
                            "the update follows step t with (t + 1 + phase) mod epoch = 0",
                        ),
                        fld(
                            "trace_decay",
                            13,
                            false,
                            "Mul12 decay code of the rule's traces (0..=4096)",
                        ),
                        fld("impulse", 8, false, "what a spike adds to a trace"),
                        fld("rate", 8, true, "learning-rate mantissa (negative: anti-Hebbian)"),
                        fld("rate_shift", 5, false, "the product rate x y is shifted right by it, to nearest"),
                        fld(
                            "plastic_decay",
                            13,
                            false,
                            "Mul12 decay code of the plastic components per update",
                        ),
                        fld(
                            "base",
                            syn_ptr,
                            false,
                            "the rule's first entry in learn_synapses",
                        ),
                        fld("len", syn_ptr, false, "its entries there"),
                    ],
                },
                traces: Layout {
                    memory: "learn_traces",
                    fields: vec![
                        fld(
                            "index",
                            neuron_id.max(axon),
                            false,
                            "the axon (x) or neuron (y) whose trace is updated",
                        ),
                        fld("rule", rule_id, false, "the rule the trace is kept for (0-based)"),
                        fld("neuron", 1, false, "1: a neuron's post trace y; 0: an axon's pre trace x"),
                        fld(
                            "last",
                            1,
                            false,
                            "1: the last entry of this axon or neuron, which zeroes its spike count",
                        ),
                    ],
                },
                synapses: Layout {
                    memory: "learn_synapses",
                    fields: vec![
                        fld("synapse", syn_ptr, false, "the plastic synapse word"),
                        fld("axon", axon, false, "its axon (pre trace x)"),
                        fld("neuron", neuron_id, false, "its neuron (post trace y)"),
                    ],
                },
            }),
            schedule: schedules.then(|| {
                (
                    Layout {
                        memory: "schedule",
                        fields: vec![
                            fld(
                                "threshold",
                                f.threshold_bits as u32 + 1,
                                true,
                                "added to the threshold mantissa this step",
                            ),
                            fld("hold", 1, false, "1: the group does not fire this step"),
                            fld(
                                "input_shift",
                                6,
                                true,
                                "added to the weight exponent this step",
                            ),
                        ],
                    },
                    Layout {
                        memory: "schedule_dir",
                        fields: vec![
                            fld("base", bits_for(entries), false, "the table's first entry"),
                            fld(
                                "len",
                                bits_for(entries + 1),
                                false,
                                "its entries: step t uses base + t mod len",
                            ),
                        ],
                    },
                )
            }),
            neuron: Layout {
                memory: "neurons",
                fields: neuron,
            },
            synapse: Layout {
                memory: "synapses",
                fields: synapse,
            },
            axon_ptr: Layout {
                memory: "axon_ptr",
                fields: vec![
                    fld(
                        "base",
                        syn_ptr,
                        false,
                        "first synapse word of the axon's row",
                    ),
                    fld("len", syn_ptr, false, "synapse words in the row"),
                ],
            },
            route_ptr: Layout {
                memory: "route_ptr",
                fields: vec![
                    fld("base", route_ptr, false, "first route entry of the neuron"),
                    fld("len", route_ptr, false, "route entries of the neuron"),
                ],
            },
            route: Layout {
                memory: "routes",
                fields: vec![
                    fld(
                        "core",
                        core,
                        false,
                        "destination core (index in the program)",
                    ),
                    fld("axon", axon, false, "destination input axon"),
                    fld(
                        "delay",
                        delay,
                        false,
                        "axonal delay in steps, added to the synaptic one",
                    ),
                ],
            },
            outmap: Layout {
                memory: "outmap",
                fields: vec![
                    fld("valid", 1, false, "1: the neuron is an output port"),
                    fld(
                        "channel",
                        out_channel,
                        false,
                        "its output channel (m_axis_tdata)",
                    ),
                ],
            },
            in_ptr: Layout {
                memory: "in_ptr",
                fields: vec![
                    fld(
                        "base",
                        in_ptr,
                        false,
                        "first input_routes entry of the channel",
                    ),
                    fld("len", in_ptr, false, "input_routes entries of the channel"),
                ],
            },
            stimulus: Layout {
                memory: "stimulus",
                fields: vec![
                    fld("channel", 32, false, "input channel (s_axis_tdata)"),
                    fld("keep", 1, false, "1: an event; 0: a beat without one"),
                    fld("last", 1, false, "the step's last beat (s_axis_tlast)"),
                ],
            },
        }
    }

    pub fn all(&self) -> Vec<&Layout> {
        let mut v = vec![
            &self.neuron,
            &self.synapse,
            &self.axon_ptr,
            &self.route_ptr,
            &self.route,
            &self.outmap,
            &self.in_ptr,
            &self.stimulus,
        ];
        if let Some((entries, dir)) = &self.schedule {
            v.extend([entries, dir]);
        }
        if let Some(l) = &self.learning {
            v.extend([&l.rules, &l.traces, &l.synapses]);
        }
        v
    }

    /// Width of the programming port's data: the widest programmable table.
    pub fn prog_width(&self) -> u32 {
        self.all()
            .iter()
            .filter(|l| l.memory != "stimulus")
            .map(|l| l.width())
            .max()
            .unwrap_or(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout() -> Layout {
        Layout {
            memory: "test",
            fields: vec![
                Field {
                    name: "a",
                    width: 3,
                    signed: false,
                    doc: "",
                },
                Field {
                    name: "b",
                    width: 4,
                    signed: true,
                    doc: "",
                },
            ],
        }
    }

    /// A word past 128 bits (ALIF, noise, schedules and dendrites in one
    /// neuron word) keeps its high fields; past 256 it is refused.
    #[test]
    fn packs_words_wider_than_128_bits() {
        let wide = |n: usize| Layout {
            memory: "wide",
            fields: (0..n)
                .map(|_| Field {
                    name: "f",
                    width: 20,
                    signed: true,
                    doc: "",
                })
                .collect(),
        };
        let l = wide(8); // 160 bits
        let w = l
            .pack(&[0, 0, 0, 0, 0, 0, 0, -1], &|| String::new())
            .unwrap();
        assert_eq!(w, Word::from(0xFFFFFu32) << 140usize);
        let e = wide(13).pack(&[0; 13], &|| String::new()).unwrap_err();
        assert!(e.to_string().contains("260 bits"), "{e}");
    }

    #[test]
    fn packs_fields_from_bit_zero_with_twos_complement() {
        let l = layout();
        assert_eq!(l.width(), 7);
        assert_eq!(l.lsb("b"), 3);
        // b = -1 (1111) above a = 5 (101)
        assert_eq!(
            l.pack(&[5, -1], &|| String::new()).unwrap(),
            (0b1111 << 3) | 0b101
        );
        assert_eq!(l.pack(&[0, -8], &|| String::new()).unwrap(), 0b1000 << 3);
    }

    #[test]
    fn out_of_range_values_are_errors_not_truncations() {
        let l = layout();
        let e = l
            .pack(&[8, 0], &|| "core 2 neuron 7".into())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("core 2 neuron 7") && e.contains("'a'") && e.contains('8'),
            "{e}"
        );
        assert!(l.pack(&[0, 8], &|| String::new()).is_err());
        assert!(l.pack(&[0, -9], &|| String::new()).is_err());
    }
}
