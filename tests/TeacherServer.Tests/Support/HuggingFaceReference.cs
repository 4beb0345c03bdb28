using System.Text.Json;
using System.Text.Json.Serialization;

namespace Distill.TeacherServer.Tests.Support;

/// <summary>
/// A <c>reference.json</c> written by tests/fixtures/huggingface/hf_reference.py: right-padded rows, their mask and
/// PyTorch's float32 log-probs [row][position][vocab].
/// </summary>
public sealed record HuggingFaceReference(
    [property: JsonPropertyName("input_ids")] int[][] InputIds,
    [property: JsonPropertyName("attention_mask")] int[][] AttentionMask,
    [property: JsonPropertyName("logprobs")] float[][][] Logprobs)
{
    /// <summary>Where the fixtures are copied beside the test assembly (see the .csproj).</summary>
    public static string TeacherFolder(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", "huggingface", "onnx-teachers", name);

    public static HuggingFaceReference Read(string folder) =>
        JsonSerializer.Deserialize<HuggingFaceReference>(File.ReadAllBytes(Path.Combine(folder, "reference.json")))
        ?? throw new InvalidDataException($"{folder}/reference.json is empty");

    /// <summary>Each row without its padding.</summary>
    public int[][] Rows() => InputIds.Select((row, r) => row[..AttentionMask[r].Sum()]).ToArray();
}
