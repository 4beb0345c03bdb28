namespace Distill.StudentTrainer.Evaluation;

/// <summary>One line of a run's <c>metrics.jsonl</c>.</summary>
/// <param name="Step">Optimiser step the values belong to.</param>
/// <param name="Kind">What produced the values: <see cref="MetricsRecord.Train"/>, <see cref="MetricsRecord.Eval"/>, or another word.</param>
/// <param name="Time">Wall-clock seconds since the run started, summed over resumed sessions.</param>
/// <param name="Values">Named values in the order they were written; may hold NaN and ±∞.</param>
public sealed record MetricsRecord(long Step, string Kind, double Time, IReadOnlyDictionary<string, double> Values)
{
    /// <summary>The kind of the values logged by the training loop.</summary>
    public const string Train = "train";

    /// <summary>The kind of the values logged by an evaluation pass.</summary>
    public const string Eval = "eval";

    /// <summary>The value called <paramref name="name"/>, or null when the record has none.</summary>
    public double? Get(string name) => Values.TryGetValue(name, out double value) ? value : null;
}
