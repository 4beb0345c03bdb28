using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Distill.StudentTrainer.Export;

namespace Distill.StudentTrainer.Schemes;

/// <summary>
/// Teacher responses as JSON Lines: a first line with the <see cref="TeacherResponseKey"/> they were made under (teacher
/// version, settings, prompts' hash), then one line per prompt, in order: <c>{"prompt":[ids],"response":[ids]}</c>.
/// </summary>
public static class TeacherResponseFile
{
    /// <summary>Writes the file, replacing any at <paramref name="path"/> atomically; creates its folder.</summary>
    public static void Write(string path, TeacherResponseKey key, IReadOnlyList<int[]> prompts, IReadOnlyList<int[]> responses)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(responses);
        if (prompts.Count != responses.Count) throw new ArgumentException($"{prompts.Count} prompts but {responses.Count} responses");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        AtomicFile.Write(path, stream =>
        {
            WriteLine(stream, JsonSerializer.SerializeToUtf8Bytes(key));
            for (int i = 0; i < prompts.Count; i++)
                WriteLine(stream, JsonSerializer.SerializeToUtf8Bytes(new Line(prompts[i], responses[i])));
        });
    }

    /// <summary>
    /// The responses in the file when it was written under <paramref name="key"/> for exactly <paramref name="prompts"/>;
    /// null when there is no such file, or it was written under another key, or it is not a complete response file.
    /// </summary>
    public static int[][]? TryRead(string path, TeacherResponseKey key, IReadOnlyList<int[]> prompts)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(prompts);
        if (!File.Exists(path)) return null;
        string[] lines = File.ReadAllLines(path, Encoding.UTF8);
        if (lines.Length != prompts.Count + 1) return null;
        try
        {
            if (JsonSerializer.Deserialize<TeacherResponseKey>(lines[0]) != key) return null;
            var responses = new int[prompts.Count][];
            for (int i = 0; i < prompts.Count; i++)
            {
                Line? line = JsonSerializer.Deserialize<Line>(lines[i + 1]);
                if (line?.Prompt is null || line.Response is null || !line.Prompt.AsSpan().SequenceEqual(prompts[i])) return null;
                responses[i] = line.Response;
            }
            return responses;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static void WriteLine(Stream stream, byte[] json)
    {
        stream.Write(json);
        stream.WriteByte((byte)'\n');
    }

    private sealed record Line(
        [property: JsonPropertyName("prompt")] int[] Prompt,
        [property: JsonPropertyName("response")] int[] Response);
}
