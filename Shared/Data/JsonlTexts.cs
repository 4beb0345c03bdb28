using System.Text;
using System.Text.Json;

namespace Distill.Shared.Data;

/// <summary>The documents of a JSON Lines file: the string field <c>text</c> of each object, one a line; blank lines are skipped.</summary>
public static class JsonlTexts
{
    /// <summary>The name of the field that holds a document.</summary>
    public const string Field = "text";

    /// <summary>Every document, read line by line.</summary>
    /// <exception cref="InvalidDataException">A line is not a JSON object with a string <c>text</c>; the message names the file and line.</exception>
    public static IEnumerable<string> Read(string path)
    {
        int number = 0;
        foreach (string line in File.ReadLines(path, Encoding.UTF8))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            yield return Parse(line, path, number);
        }
    }

    /// <summary>The number of lines that are not blank: the documents <see cref="Read"/> gives.</summary>
    public static long Count(string path) => File.ReadLines(path, Encoding.UTF8).LongCount(line => !string.IsNullOrWhiteSpace(line));

    private static string Parse(string line, string path, int number)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(line);
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"expected a JSON object, got {root.ValueKind}");
            if (!root.TryGetProperty(Field, out JsonElement text)) throw new InvalidDataException($"missing field '{Field}'");
            return text.ValueKind == JsonValueKind.String
                ? text.GetString()!
                : throw new InvalidDataException($"field '{Field}' must be a string, got {text.ValueKind}");
        }
        catch (Exception e) when (e is JsonException or InvalidDataException)
        {
            throw new InvalidDataException($"{path}, line {number}: {e.Message}", e);
        }
    }
}
