using Distill.StudentTrainer.Data;
using Distill.StudentTrainer.Distillation;
using Distill.StudentTrainer.Evaluation;
using Distill.StudentTrainer.Schemes;

namespace Distill.StudentTrainer.Cli;

/// <summary>Everything the <c>train</c> command was asked to do; saved as <c>job.json</c> in the run folder for <c>--resume</c>.</summary>
public sealed record TrainJobSettings
{
    public string[] TeacherUrls { get; init; } = [];
    public string? TeacherModel { get; init; }
    public string ModelsFolder { get; init; } = "models";
    /// <summary>ONNX Runtime threads of an auto-started TeacherServer: one, so that it and the trainer do not oversubscribe the cores.</summary>
    public int TeacherThreads { get; init; } = 1;

    /// <summary><c>--teacher-cache</c>: a folder of precomputed teacher answers the run reads instead of asking a server.</summary>
    public string? TeacherCache { get; init; }

    /// <summary>How the teacher client talks to the servers (not saved: it may change between sessions).</summary>
    [System.Text.Json.Serialization.JsonIgnore] public Teacher.TeacherClientOptions Client { get; init; } = new();
    /// <summary><c>--student</c>: a preset, a configuration file or a model folder; null: the model of <see cref="InitialWeights"/>, else <see cref="StudentChoice.DefaultStudent"/>.</summary>
    public string? Student { get; init; }
    /// <summary><c>--init</c>: a model folder whose weights the student starts from.</summary>
    public string? InitialWeights { get; init; }
    /// <summary><c>--tokenizer</c>; null: the student's own folder's tokenizer when it has one (see <see cref="StudentChoice.TokenizerFolder"/>).</summary>
    public string? Tokenizer { get; init; }

    /// <summary>The tokenizer folder the run uses.</summary>
    public string TokenizerFolder => StudentChoice.TokenizerFolder(Tokenizer, Student, InitialWeights);
    public string? RunFolder { get; init; }
    public string? Resume { get; init; }
    public string DataFolder { get; init; } = "data/austen";
    public Data.CorpusOptions Corpus { get; init; } = Data.CorpusOptions.Default;
    public string Device { get; init; } = "cpu";
    public int Threads { get; init; }

    /// <summary>Also train a cross-entropy student on the same steps and data, for comparison.</summary>
    public bool Baseline { get; init; } = true;

    /// <summary>Validation windows of the sequence length on which KL, agreement and calibration are measured.</summary>
    public int EvalWindows { get; init; } = 32;

    /// <summary>Held-out prompts whose greedy continuations are scored with ROUGE-L.</summary>
    public int EvalPrompts { get; init; } = 16;

    public int EvalPromptTokens { get; init; } = 32;

    public int EvalContinuationTokens { get; init; } = 32;

    /// <summary>Pair runs: the first this many pairs of the task folder's test.jsonl are evaluated; null: all.</summary>
    public int? EvalPairs { get; init; }

    /// <summary>Pair runs: the first this many held-out pairs are continued greedily for ROUGE-L.</summary>
    public int RougePairs { get; init; } = new PairEvaluationOptions().RougePairs;

    public required DistillOptions Options { get; init; }

    /// <summary>Where the training sequences come from; every mode but offpolicy trains on <see cref="Tasks"/>.</summary>
    [System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<TrainMode>))]
    public TrainMode Mode { get; init; } = TrainMode.OffPolicy;

    /// <summary>A task folder (train.jsonl, validation.jsonl, test.jsonl) to train on prompt → response pairs; null: corpus windows.</summary>
    public string? Tasks { get; init; }

    /// <summary>GKD's λ (onpolicy).</summary>
    public double StudentFraction { get; init; } = PairDistillOptions.DefaultStudentFraction;

    /// <summary>DistiLLM's replay buffer capacity (distillm).</summary>
    public int ReplayCapacity { get; init; } = ReplayBuffer<TokenizedPair>.DefaultCapacity;

    /// <summary>DistiLLM's schedule (distillm).</summary>
    public DistillmOptions Distillm { get; init; } = new();

    /// <summary>
    /// MiniLLM's options (minillm; null in other modes). Its student, end-of-sequence and pad ids are set by
    /// <see cref="ResolvedMiniLlm"/> once the student and the tokenizer are known.
    /// </summary>
    public MiniLlmTrainerOptions? MiniLlm { get; init; }

    /// <summary>Whether the run trains on prompt → response pairs.</summary>
    [System.Text.Json.Serialization.JsonIgnore] public bool OnPairs => Tasks is not null;

    /// <summary>The pair trainer's options around <paramref name="options"/>.</summary>
    public PairDistillOptions PairOptions(DistillOptions options) => new()
    {
        Distill = options, Mode = Mode, StudentFraction = StudentFraction, ReplayCapacity = ReplayCapacity, Distillm = Distillm,
    };

    /// <summary>MiniLLM's options for <paramref name="student"/>: rows end at (and prompts are left-padded with) the end-of-text id <paramref name="eosId"/>, or are padded with 0 without one.</summary>
    /// <exception cref="ArgumentException">The settings hold no MiniLLM options.</exception>
    public MiniLlmTrainerOptions ResolvedMiniLlm(Model.ModelConfig student, int? eosId) =>
        (MiniLlm ?? throw new ArgumentException("--mode minillm needs MiniLLM's options, and these settings hold none"))
        with { Student = student, EosId = eosId, PadId = eosId ?? 0 };

    /// <summary>How a pair run evaluates the students on its held-out pairs.</summary>
    public PairEvaluationOptions HeldOutEvaluation() => new() { MaxPairs = EvalPairs, RougePairs = RougePairs };

    /// <summary>
    /// The evaluation set of these settings on <paramref name="validation"/>; prompt and continuation are shortened
    /// to fit a context of <paramref name="contextLength"/> tokens (the teacher generates after at most context − 1).
    /// </summary>
    public EvaluationSet EvaluationSet(TokenStream validation, int sequenceLength, int contextLength)
    {
        int promptTokens = Math.Max(1, Math.Min(EvalPromptTokens, contextLength / 2));
        int continuationTokens = Math.Max(1, Math.Min(EvalContinuationTokens, contextLength - promptTokens));
        return new EvaluationSet(validation, sequenceLength, EvalWindows, promptTokens, EvalPrompts, continuationTokens);
    }
}
