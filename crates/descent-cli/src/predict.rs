//! `descent predict`: a model trained by `descent train --save`, evaluated on a data set.
//!
//! The checkpoint says everything needed to see the data as training saw it: the network, the
//! precision, the standardisation fitted on the training set (if any), and (in its settings) the
//! pixel scaling and the digits' split seed, so `--split test` is exactly the test set of the run and
//! the accuracy and confusion matrix are those `train` reported. The evaluation runs in chunks of
//! the run's minibatch size, as training's evaluation does, so even the mean loss has the same
//! bits.

use std::marker::PhantomData;
use std::path::Path;

use anyhow::bail;
use descent::first_order::Rule;
use descent_nn::checkpoint::{self, Precision};
use descent_nn::model::Scalar;
use descent_nn::train::{Evaluation, evaluate};
use descent_nn::{Dataset, Mlp};
use serde::Serialize;

use crate::args::{PredictArgs, SplitName};
use crate::methods::{self, RuleVisitor};
use crate::output::{number, print_fields, print_json};
use crate::train::{Settings, confusion_rows, load, percent, print_confusion};

/// The `--json` object.
#[derive(Serialize)]
struct PredictJson<'a> {
    model: &'a str,
    dataset: String,
    split: SplitName,
    examples: usize,
    accuracy: f64,
    loss: f64,
    confusion: Vec<Vec<usize>>,
    checkpoint: String,
}

/// Runs `descent predict`.
pub fn run(args: &PredictArgs) -> anyhow::Result<()> {
    let header = checkpoint::read_header(&args.model)?;
    let settings = Settings::from_header(&header, &args.model)?;
    let dataset = match &args.dataset {
        Some(dataset) => dataset.clone(),
        None => settings.dataset_spec()?,
    };
    let (train_set, test_set, _) = load(&dataset, settings.split_seed, Some(settings.pixel_scale))?;
    let mut data = match args.split {
        SplitName::Test => test_set,
        SplitName::Train => train_set,
        SplitName::All => concat(&train_set, &test_set)?,
    };
    if let Some(standardizer) = &header.standardizer {
        standardizer.apply(&mut data)?;
    }
    let model = Mlp::from_spec(&header.model)?;
    let eval = match header.precision {
        Precision::F32 => evaluate_file::<f32>(&args.model, &settings, &model, &data)?,
        Precision::F64 => evaluate_file::<f64>(&args.model, &settings, &model, &data)?,
    };
    if args.json {
        return print_json(&PredictJson {
            model: &settings.model,
            dataset: dataset.to_string(),
            split: args.split,
            examples: data.len(),
            accuracy: eval.accuracy,
            loss: eval.loss,
            confusion: confusion_rows(eval.classes, &eval.confusion),
            checkpoint: args.model.display().to_string(),
        });
    }
    print_fields(&[
        ("model", format!("{} ({})", settings.model, args.model.display())),
        ("dataset", format!("{dataset}, {} set", split_name(args.split))),
        ("examples", data.len().to_string()),
        ("accuracy", percent(eval.accuracy)),
        ("mean loss", number(eval.loss)),
    ]);
    println!("\nconfusion matrix (row: true class, column: predicted)");
    print_confusion(eval.classes, &eval.confusion);
    Ok(())
}

/// θ read from `path` in precision `T`, evaluated on `data`.
///
/// The whole checkpoint is read and checked, optimizer state included (with the rule type its
/// settings name), not only θ: a file cut short after θ is damaged, and predicting from it would
/// hide that. Under early stopping the θ evaluated is the best epoch's, as training returned.
fn evaluate_file<T: Scalar>(
    path: &Path,
    settings: &Settings,
    model: &Mlp,
    data: &Dataset,
) -> anyhow::Result<Evaluation> {
    let visitor = ReadParams::<T> { path, precision: PhantomData };
    let params = methods::with_rule(&settings.method_args(), visitor)?;
    Ok(evaluate(model, &params, data, settings.batch)?)
}

/// Reads θ of a checkpoint written with the visited rule type.
struct ReadParams<'a, T> {
    path: &'a Path,
    precision: PhantomData<T>,
}

impl<T: Scalar> RuleVisitor for ReadParams<'_, T> {
    type Output = Vec<T>;

    fn visit<R: Rule + Clone + 'static>(
        self,
        _rule: R,
        _learning_rate: f64,
        _config: serde_json::Value,
    ) -> anyhow::Result<Vec<T>> {
        let saved = checkpoint::read_checkpoint::<R, T>(self.path)?;
        // Under early stopping, training returns the best epoch's θ (the file's θ is the last
        // epoch's, to resume from).
        if saved.progress.best_params.is_empty() {
            Ok(saved.params)
        } else {
            Ok(saved.progress.best_params)
        }
    }
}

/// The examples of `a` then those of `b`.
fn concat(a: &Dataset, b: &Dataset) -> anyhow::Result<Dataset> {
    if a.shape() != b.shape() {
        bail!("the training and test sets have different feature shapes");
    }
    let features = [a.features(), b.features()].concat();
    let labels = [a.labels(), b.labels()].concat();
    Ok(Dataset::new(features, labels, a.classes().max(b.classes()), a.shape().to_vec())?)
}

fn split_name(split: SplitName) -> &'static str {
    match split {
        SplitName::Test => "test",
        SplitName::Train => "training",
        SplitName::All => "whole",
    }
}
