namespace Distill.Bench.Quality;

/// <summary>What one training run of a method with one seed measured, evaluated on held-out data (the bench: the task set's held-out pairs).</summary>
/// <param name="Method">A name of <see cref="QualityMethods"/>.</param>
/// <param name="Seed">The seed of the run.</param>
/// <param name="ValidationPerplexity">exp of the mean next-token cross-entropy on the held-out data (response tokens given the prompt).</param>
/// <param name="KlToTeacher">Mean KL(teacher ‖ student) per validation position (nats).</param>
/// <param name="Top1Agreement">Share of validation positions where the student's top-1 token is the teacher's, in [0, 1].</param>
/// <param name="CalibrationError">Expected calibration error of the student's top-1 predictions.</param>
/// <param name="RougeLReference">Mean ROUGE-L F1 of the student's greedy continuations against the true text.</param>
/// <param name="RougeLTeacher">The same against the teacher's greedy continuations.</param>
/// <param name="WallSeconds">Wall-clock seconds of training (evaluation excluded).</param>
/// <param name="TrainingTokens">Tokens the student was trained on.</param>
/// <param name="TokensPerSecond">Training tokens per wall-clock second.</param>
/// <param name="FinishedAt">When the run finished.</param>
/// <param name="Note">Free text about the run (may be empty).</param>
/// <param name="Budget">The <see cref="QualityBudget.Key"/> the run was trained with (absent in runs stored before it was recorded).</param>
public sealed record QualityResult(
    string Method,
    int Seed,
    double ValidationPerplexity,
    double KlToTeacher,
    double Top1Agreement,
    double CalibrationError,
    double RougeLReference,
    double RougeLTeacher,
    double WallSeconds,
    long TrainingTokens,
    double TokensPerSecond,
    DateTimeOffset FinishedAt,
    string Note,
    string? Budget = null)
{
    public QualityPair Pair => new(Method, Seed);
}

/// <summary>One (method, seed) run of the quality bench.</summary>
public readonly record struct QualityPair(string Method, int Seed)
{
    public override string ToString() => $"{Method} seed {Seed}";
}
