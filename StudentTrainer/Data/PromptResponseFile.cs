using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Distill.StudentTrainer.Export;

namespace Distill.StudentTrainer.Data;

/// <summary>
/// Prompt → response pairs as JSON Lines, one object a line, or as Parquet (<see cref="PromptResponseParquet"/>, when
/// the file name ends in <c>.parquet</c>); the fields are those of <see cref="PromptResponseFields"/>. Blank lines are skipped.
/// </summary>
public static class PromptResponseFile
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Every pair of the file, in order.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">A line is not a valid pair; the message names the file and line.</exception>
    public static IReadOnlyList<PromptResponsePair> Read(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"prompt/response file '{path}' does not exist", path);
        if (PromptResponseParquet.IsParquet(path)) return PromptResponseParquet.Read(path);
        var pairs = new List<PromptResponsePair>();
        int number = 0;
        foreach (string line in File.ReadLines(path, Encoding.UTF8))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                pairs.Add(Parse(line));
            }
            catch (Exception e) when (e is JsonException or InvalidDataException)
            {
                throw new InvalidDataException($"{path}, line {number}: {e.Message}", e);
            }
        }
        return pairs;
    }

    /// <summary>Writes <c>{"prompt":…,"response":…}</c> lines, UTF-8 without a byte-order mark, replacing the file atomically.</summary>
    public static void Write(string path, IEnumerable<PromptResponsePair> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        AtomicFile.Write(path, stream =>
        {
            foreach (PromptResponsePair pair in pairs)
            {
                using (var writer = new Utf8JsonWriter(stream, WriterOptions))
                {
                    writer.WriteStartObject();
                    writer.WriteString("prompt", pair.Prompt);
                    writer.WriteString("response", pair.Response);
                    writer.WriteEndObject();
                }
                stream.WriteByte((byte)'\n');
            }
        });
    }

    private static PromptResponsePair Parse(string line)
    {
        using JsonDocument document = JsonDocument.Parse(line);
        JsonElement root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"expected a JSON object, got {root.ValueKind}");
        return PromptResponseFields.Pair(name => Field(root, name), "field");
    }

    private static string? Field(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out JsonElement value)) return null;
        return value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new InvalidDataException($"field '{name}' must be a string, got {value.ValueKind}");
    }
}
