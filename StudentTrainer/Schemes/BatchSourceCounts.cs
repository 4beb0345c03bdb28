using System.Text.Json.Serialization;

namespace Distill.StudentTrainer.Schemes;

/// <summary>How many training batches (micro-batches) came from each <see cref="BatchSource"/> so far.</summary>
public sealed record BatchSourceCounts(
    [property: JsonPropertyName("gold")] long Gold,
    [property: JsonPropertyName("generate")] long Generate,
    [property: JsonPropertyName("replay")] long Replay)
{
    public static BatchSourceCounts None { get; } = new(0, 0, 0);

    [JsonIgnore] public long Total => Gold + Generate + Replay;

    public long Of(BatchSource source) => source switch
    {
        BatchSource.Gold => Gold,
        BatchSource.Generate => Generate,
        BatchSource.Replay => Replay,
        _ => throw new ArgumentOutOfRangeException(nameof(source), source, "unknown batch source"),
    };

    /// <summary>The share of the batches from <paramref name="source"/>; 0 before any batch.</summary>
    public double Share(BatchSource source) => Total == 0 ? 0 : (double)Of(source) / Total;

    /// <summary>These counts with one more batch from <paramref name="source"/>.</summary>
    public BatchSourceCounts Plus(BatchSource source) => source switch
    {
        BatchSource.Gold => this with { Gold = Gold + 1 },
        BatchSource.Generate => this with { Generate = Generate + 1 },
        BatchSource.Replay => this with { Replay = Replay + 1 },
        _ => throw new ArgumentOutOfRangeException(nameof(source), source, "unknown batch source"),
    };
}
