using System.Text.Json;
using System.Text.Json.Serialization;
using Distill.Shared.Wire;

namespace Distill.StudentTrainer.TeacherCache;

/// <summary>
/// What one part of a teacher cache holds (<c>part-III-of-NNN.json</c>, written last, so a part without it is
/// incomplete): the teacher, the k and τ of the training answers, the storage widths, the run whose requests it
/// answers, which share of the training batches it covers, and its size.
/// </summary>
public sealed record TeacherCacheManifest
{
    public const string CurrentFormat = "distill-teacher-cache/1";

    [JsonPropertyName("format")] public string Format { get; init; } = CurrentFormat;
    [JsonPropertyName("teacher")] public required ModelInfo Teacher { get; init; }
    [JsonPropertyName("k")] public required int K { get; init; }
    [JsonPropertyName("temperature")] public required float Temperature { get; init; }
    [JsonPropertyName("logprobs")] [JsonConverter(typeof(JsonStringEnumConverter<LogprobPrecision>))] public required LogprobPrecision Precision { get; init; }
    [JsonPropertyName("ids")] [JsonConverter(typeof(JsonStringEnumConverter<IdWidth>))] public required IdWidth Ids { get; init; }
    [JsonPropertyName("data")] public required TeacherCacheData Data { get; init; }
    [JsonPropertyName("shard")] public required int Shard { get; init; }
    [JsonPropertyName("shards")] public required int Shards { get; init; }
    [JsonPropertyName("sequences")] public long Sequences { get; init; }
    [JsonPropertyName("positions")] public long Positions { get; init; }
    [JsonPropertyName("answer_bytes")] public long AnswerBytes { get; init; }

    /// <summary>Bytes of stored answers per answered position.</summary>
    [JsonIgnore] public double BytesPerPosition => Positions == 0 ? 0 : (double)AnswerBytes / Positions;

    public static string FileStem(int shard, int shards) => $"part-{shard:D3}-of-{shards:D3}";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, Indented);

    /// <exception cref="InvalidDataException">The file is not a manifest of this format.</exception>
    public static TeacherCacheManifest Read(string path)
    {
        TeacherCacheManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<TeacherCacheManifest>(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not a teacher cache manifest: {e.Message}", e);
        }
        if (manifest is null) throw new InvalidDataException($"{path} is empty");
        if (manifest.Format != CurrentFormat)
            throw new InvalidDataException($"{path} is a teacher cache of format '{manifest.Format}'; this trainer reads '{CurrentFormat}'");
        return manifest;
    }
}

/// <summary>
/// The run a cache answers: its training tokens (a SHA-256 of the train split's ids), the window length, batch,
/// micro-batches per step, seed and steps that decide which windows it draws, and a SHA-256 of its evaluation requests.
/// </summary>
public sealed record TeacherCacheData(
    [property: JsonPropertyName("train_tokens")] string TrainTokens,
    [property: JsonPropertyName("sequence_length")] int SequenceLength,
    [property: JsonPropertyName("batch_size")] int BatchSize,
    [property: JsonPropertyName("gradient_accumulation")] int GradientAccumulation,
    [property: JsonPropertyName("seed")] int Seed,
    [property: JsonPropertyName("steps")] int Steps,
    [property: JsonPropertyName("evaluation")] string Evaluation);
