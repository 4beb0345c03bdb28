using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Distill.StudentTrainer.Schemes;

/// <summary>
/// What teacher responses depend on: the teacher's model version, the sampling settings and the prompts. Responses made
/// under an equal key are the same responses, so a file written under it can be read instead of asking again.
/// </summary>
/// <param name="TeacherVersion">The teacher model's version (a content hash of its folder).</param>
/// <param name="PromptCount">Number of prompts.</param>
/// <param name="PromptsSha256">Lowercase hex SHA-256 of the prompts' token ids (<see cref="HashPrompts"/>).</param>
public sealed record TeacherResponseKey(
    [property: JsonPropertyName("teacher_version")] string TeacherVersion,
    [property: JsonPropertyName("max_new_tokens")] int MaxNewTokens,
    [property: JsonPropertyName("temperature")] float Temperature,
    [property: JsonPropertyName("top_p")] float TopP,
    [property: JsonPropertyName("seed")] int Seed,
    [property: JsonPropertyName("prompt_count")] int PromptCount,
    [property: JsonPropertyName("prompts_sha256")] string PromptsSha256)
{
    /// <summary>The key of asking for responses to <paramref name="prompts"/> with <paramref name="options"/>.</summary>
    public static TeacherResponseKey Of(string teacherVersion, IReadOnlyList<int[]> prompts, TeacherResponseOptions options) =>
        new(teacherVersion, options.MaxNewTokens, options.Temperature, options.TopP, options.Seed, prompts.Count, HashPrompts(prompts));

    /// <summary>A file name that differs between keys: <c>teacher-responses-{16 hex digits}.jsonl</c>.</summary>
    [JsonIgnore]
    public string FileName => $"teacher-responses-{Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(this)))[..16]}.jsonl";

    /// <summary>SHA-256 of each prompt's length followed by its ids, as little-endian int32, in order.</summary>
    public static string HashPrompts(IReadOnlyList<int[]> prompts)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<int> length = stackalloc int[1];
        foreach (int[] prompt in prompts)
        {
            length[0] = prompt.Length;
            hash.AppendData(MemoryMarshal.AsBytes(length));
            hash.AppendData(MemoryMarshal.AsBytes(prompt.AsSpan()));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
