using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Distill.Shared.Tokenization;

/// <summary>Hugging Face GPT-2 tokenizer files: <c>vocab.json</c> (token → id) and <c>merges.txt</c>.</summary>
public static class TokenizerFiles
{
    /// <summary>File name of the vocabulary.</summary>
    public const string VocabFile = "vocab.json";
    /// <summary>File name of the merge rules.</summary>
    public const string MergesFile = "merges.txt";
    /// <summary>First line of <c>merges.txt</c>.</summary>
    public const string MergesHeader = "#version: 0.2";

    private static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>Writes <paramref name="vocabulary"/> into <paramref name="folder"/> (created if needed).</summary>
    public static void Write(string folder, BpeVocabulary vocabulary)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        Write(folder, vocabulary.Vocab, vocabulary.Merges);
    }

    /// <summary>
    /// Writes <c>vocab.json</c> (ids ascending, non-ASCII symbols as plain UTF-8) and <c>merges.txt</c>
    /// (header, then one <c>left right</c> per line in merge order) into <paramref name="folder"/>.
    /// </summary>
    public static void Write(string folder, IReadOnlyDictionary<string, int> vocab, IReadOnlyList<BpeMerge> merges)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        ArgumentNullException.ThrowIfNull(vocab);
        ArgumentNullException.ThrowIfNull(merges);
        if (vocab.Values.Distinct().Count() != vocab.Count)
            throw new ArgumentException("vocabulary ids must be distinct", nameof(vocab));
        foreach (var merge in merges)
        {
            if (string.IsNullOrEmpty(merge.Left) || string.IsNullOrEmpty(merge.Right) || merge.Left.Contains(' ') || merge.Right.Contains(' '))
                throw new ArgumentException($"merge '{merge}' has an empty side or a space", nameof(merges));
        }

        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, VocabFile), VocabJson(vocab));
        var text = new StringBuilder(MergesHeader).Append('\n');
        foreach (var merge in merges) text.Append(merge.Left).Append(' ').Append(merge.Right).Append('\n');
        File.WriteAllText(Path.Combine(folder, MergesFile), text.ToString(), Utf8NoBom);
    }

    private static byte[] VocabJson(IReadOnlyDictionary<string, int> vocab)
    {
        using var buffer = new MemoryStream();
        var options = new JsonWriterOptions { Indented = true, NewLine = "\n", Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        using (var writer = new Utf8JsonWriter(buffer, options))
        {
            writer.WriteStartObject();
            foreach (var (token, id) in vocab.OrderBy(e => e.Value)) writer.WriteNumber(token, id);
            writer.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    /// <summary>Reads <c>vocab.json</c>; throws <see cref="InvalidDataException"/> naming the file if malformed.</summary>
    internal static Dictionary<string, int> ReadVocab(string path)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            return VocabFromJson(document.RootElement, $"'{path}'");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}' is not valid JSON: {e.Message}", e);
        }
    }

    /// <summary>A JSON object of token → non-negative integer id, ids distinct.</summary>
    internal static Dictionary<string, int> VocabFromJson(JsonElement element, string where)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{where}: the vocabulary must be a JSON object of token → id");
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        var ids = new HashSet<int>();
        foreach (var entry in element.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out int id) || id < 0)
                throw new InvalidDataException($"{where}: token '{entry.Name}' has no non-negative integer id");
            if (!ids.Add(id) || !vocab.TryAdd(entry.Name, id))
                throw new InvalidDataException($"{where}: token '{entry.Name}' or id {id} appears twice");
        }
        if (vocab.Count == 0) throw new InvalidDataException($"{where}: the vocabulary is empty");
        return vocab;
    }

    /// <summary>Reads <c>merges.txt</c>: an optional <c>#version</c> line, then <c>left right</c> lines.</summary>
    internal static List<BpeMerge> ReadMerges(string path)
    {
        var merges = new List<BpeMerge>();
        int number = 0;
        foreach (string line in File.ReadLines(path, Encoding.UTF8))
        {
            number++;
            if (line.Length == 0 || (number == 1 && line.StartsWith("#version", StringComparison.Ordinal))) continue;
            merges.Add(ParseMerge(line, $"'{path}' line {number}"));
        }
        return merges;
    }

    /// <summary>Parses one <c>"left right"</c> merge.</summary>
    internal static BpeMerge ParseMerge(string line, string where)
    {
        int space = line.IndexOf(' ');
        if (space <= 0 || space == line.Length - 1 || line.IndexOf(' ', space + 1) >= 0)
            throw new InvalidDataException($"{where}: a merge must be two tokens separated by one space, got '{line}'");
        return new BpeMerge(line[..space], line[(space + 1)..]);
    }
}
