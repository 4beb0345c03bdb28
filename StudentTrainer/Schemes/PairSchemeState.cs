using System.Text.Json;
using System.Text.Json.Serialization;
using Distill.StudentTrainer.Data;
using Distill.StudentTrainer.Export;

namespace Distill.StudentTrainer.Schemes;

/// <summary>
/// What a checkpoint of <see cref="PairDistillationTrainer"/> holds besides the shared training state
/// (<c>scheme.json</c> in the checkpoint folder): the mode's options, the batch-source counts, DistiLLM's schedule and
/// replay buffer, and the key of SeqKD's teacher responses. The random choices need no saving: each step draws them
/// from a generator seeded by (seed, step).
/// </summary>
public sealed record PairSchemeState
{
    public const string FileName = "scheme.json";

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = false };

    [JsonPropertyName("options")] public required PairDistillOptions Options { get; init; }

    [JsonPropertyName("sources")] public required BatchSourceCounts Sources { get; init; }

    /// <summary>SHA-256 of the training pairs' ids (<see cref="HashPairs"/>): a resume must train on the same pairs.</summary>
    [JsonPropertyName("train_sha256")] public required string TrainSha256 { get; init; }

    /// <summary>DistiLLM's threshold and reference loss; null in other modes.</summary>
    [JsonPropertyName("schedule")] public DistillmScheduleState? Schedule { get; init; }

    /// <summary>DistiLLM's replay buffer, oldest first; null in other modes.</summary>
    [JsonPropertyName("replay_buffer")] public IReadOnlyList<TokenizedPair>? ReplayBuffer { get; init; }

    /// <summary>The key of the teacher response file SeqKD trains on (in the run folder); null in other modes.</summary>
    [JsonPropertyName("teacher_responses")] public TeacherResponseKey? TeacherResponses { get; init; }

    /// <summary>Lowercase hex SHA-256 of each pair's prompt and response ids, in order (as <see cref="TeacherResponseKey.HashPrompts"/> hashes a list).</summary>
    public static string HashPairs(IReadOnlyList<TokenizedPair> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        return TeacherResponseKey.HashPrompts(pairs.SelectMany(p => new[] { p.Prompt, p.Response }).ToArray());
    }

    /// <summary>Writes the state into <paramref name="checkpointFolder"/>.</summary>
    public void Save(string checkpointFolder)
    {
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(this, JsonOptions);
        AtomicFile.Write(Path.Combine(checkpointFolder, FileName), stream => stream.Write(json));
    }

    /// <exception cref="InvalidDataException">The checkpoint has no scheme state (not a pair run) or an unreadable one.</exception>
    public static PairSchemeState Read(string checkpointFolder)
    {
        string path = Path.Combine(checkpointFolder, FileName);
        if (!File.Exists(path)) throw new InvalidDataException($"the checkpoint '{checkpointFolder}' has no {FileName}: it is not of a prompt → response run");
        try
        {
            return JsonSerializer.Deserialize<PairSchemeState>(File.ReadAllText(path), JsonOptions)
                   ?? throw new InvalidDataException($"{path} is empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not a pair-run state: {e.Message}", e);
        }
    }
}
