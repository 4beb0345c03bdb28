using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Distill.StudentTrainer.Export;

namespace Distill.StudentTrainer.Data;

/// <summary>
/// Prompt → response pairs as JSON Lines, one object a line. A line holds either <c>prompt</c> and <c>response</c>,
/// or the Dolly fields <c>instruction</c>, <c>context</c> (optional) and <c>response</c>; the prompt is then the
/// instruction, followed by a blank line and the context when the context is not empty. A line with
/// <c>prompt</c> uses it and ignores <c>instruction</c> and <c>context</c>. Other fields are ignored; blank lines are skipped.
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
        string response = Field(root, "response") ?? throw new InvalidDataException("missing field 'response'");
        if (response.Length == 0) throw new InvalidDataException("empty 'response'");
        string prompt = Field(root, "prompt") ?? DollyPrompt(root)
            ?? throw new InvalidDataException("missing field 'prompt' (or the Dolly field 'instruction')");
        return new PromptResponsePair(prompt, response);
    }

    private static string? DollyPrompt(JsonElement root)
    {
        string? instruction = Field(root, "instruction");
        if (instruction is null) return null;
        string context = Field(root, "context") ?? "";
        return context.Length == 0 ? instruction : $"{instruction}\n\n{context}";
    }

    private static string? Field(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out JsonElement value)) return null;
        return value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new InvalidDataException($"field '{name}' must be a string, got {value.ValueKind}");
    }
}
