//! Outcome follow-up (issue 20 §3): a baseline before treatment and 3, 6, 12 and 24 months after
//! it. Patients answer (scores encrypted at rest) or skip inside each window; a worker announces
//! due follow-ups to the coordinators' webhooks; with the patient's separate consent, de-identified
//! rows go to the public outcome registry (`outcome_registry`).

pub mod domain;
