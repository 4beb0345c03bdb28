using Distill.StudentTrainer.Data;
using Distill.StudentTrainer.Evaluation;
using Distill.StudentTrainer.Teacher;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Schemes;

/// <summary>Where a MiniLLM run's pieces come from and go to; everything optional is null when unused.</summary>
/// <param name="Pairs">Prompt → response pairs whose prompts are rolled out; a response's length caps its rollout's.</param>
/// <param name="Corpus">Pretraining-style text (e.g. the train split) for the language-modelling loss.</param>
/// <param name="InitialWeights">A model folder (Hugging Face config.json + safetensors, or a checkpoint of this project) to start from, e.g. a fine-tuned student.</param>
/// <param name="ResumeFrom">A checkpoint folder of an earlier session of this run, to continue exactly.</param>
/// <param name="Metrics">Receives train and eval records; on resume, the caller truncates it to the checkpoint's step first.</param>
/// <param name="Stop">Fires on SIGINT: the run writes a checkpoint of its last completed step and returns.</param>
/// <param name="CheckpointFiles">How checkpoints reach the disk; null: <see cref="Distillation.DurableCheckpointFiles"/>.</param>
public sealed record MiniLlmRunContext(
    IReadOnlyList<TokenizedPair> Pairs,
    TokenStream Corpus,
    ITeacher Teacher,
    string RunFolder,
    Device Device,
    IStudentEvaluator? Evaluator = null,
    MetricsLog? Metrics = null,
    string? InitialWeights = null,
    string? ResumeFrom = null,
    CancellationToken Stop = default,
    Distillation.ICheckpointFiles? CheckpointFiles = null);
