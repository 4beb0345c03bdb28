using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;
using Distill.Shared.Wire;
using Microsoft.Win32.SafeHandles;

namespace Distill.StudentTrainer.TeacherCache;

/// <summary>
/// Reads a teacher cache folder: every part's manifest (they must agree, and together cover every shard), its index
/// (held in memory: 28 bytes a sequence) and its answers, read by position on demand from any thread.
/// </summary>
public sealed class TeacherCacheReader : IDisposable
{
    private readonly SafeFileHandle[] _answers;
    private readonly Dictionary<UInt128, (int Part, long Offset, int Length)> _index;
    private readonly Dictionary<string, GenerateResponse> _generated;

    private TeacherCacheReader(string folder, TeacherCacheManifest manifest, SafeFileHandle[] answers,
        Dictionary<UInt128, (int, long, int)> index, Dictionary<string, GenerateResponse> generated)
    {
        Folder = folder;
        Manifest = manifest;
        _answers = answers;
        _index = index;
        _generated = generated;
    }

    public string Folder { get; }

    /// <summary>The manifest of the whole cache: the parts' common fields, their counts summed, shard 0 of 1.</summary>
    public TeacherCacheManifest Manifest { get; }

    /// <exception cref="InvalidDataException">The folder holds no complete cache, parts disagree or are missing, or a file is damaged.</exception>
    public static TeacherCacheReader Open(string folder)
    {
        if (!Directory.Exists(folder)) throw new ArgumentException($"--teacher-cache '{folder}' is not a folder");
        string[] manifests = Directory.GetFiles(folder, "part-*-of-*.json").Order(StringComparer.Ordinal).ToArray();
        if (manifests.Length == 0) throw new InvalidDataException($"'{folder}' holds no complete teacher cache part (part-*-of-*.json); run precompute first");
        TeacherCacheManifest[] parts = manifests.Select(TeacherCacheManifest.Read).ToArray();
        TeacherCacheManifest first = parts[0];
        foreach (TeacherCacheManifest part in parts.Skip(1))
        {
            string? differs = part.Teacher != first.Teacher ? "teacher" : part.K != first.K ? "k" : part.Temperature != first.Temperature ? "τ"
                : part.Data != first.Data ? "data" : part.Shards != first.Shards ? "shard count" : part.Precision != first.Precision || part.Ids != first.Ids ? "storage widths" : null;
            if (differs is not null)
                throw new InvalidDataException($"'{folder}': parts {first.Shard} and {part.Shard} differ in their {differs}; they are not parts of one cache");
        }
        int[] missing = Enumerable.Range(0, first.Shards).Except(parts.Select(p => p.Shard)).ToArray();
        if (missing.Length > 0)
            throw new InvalidDataException($"'{folder}' lacks part(s) {string.Join(", ", missing)} of {first.Shards}: run precompute --shard i/{first.Shards} for them");

        var handles = new List<SafeFileHandle>();
        try
        {
            var index = new Dictionary<UInt128, (int, long, int)>();
            var generated = new Dictionary<string, GenerateResponse>();
            foreach (TeacherCacheManifest part in parts)
            {
                string stem = TeacherCacheManifest.FileStem(part.Shard, part.Shards);
                SafeFileHandle handle = File.OpenHandle(TeacherCacheFiles.Answers(folder, stem));
                handles.Add(handle);
                ReadIndex(TeacherCacheFiles.Index(folder, stem), handles.Count - 1, index);
                foreach (string line in File.ReadLines(TeacherCacheFiles.Generate(folder, stem)))
                {
                    GenerateEntry entry = JsonSerializer.Deserialize<GenerateEntry>(line)
                                          ?? throw new InvalidDataException($"{stem}.generate.jsonl holds an empty line");
                    generated[entry.Key] = entry.Response;
                }
            }
            TeacherCacheManifest whole = first with
            {
                Shard = 0, Shards = 1, Sequences = index.Count, Positions = parts.Sum(p => p.Positions), AnswerBytes = parts.Sum(p => p.AnswerBytes),
            };
            return new TeacherCacheReader(folder, whole, handles.ToArray(), index, generated);
        }
        catch
        {
            foreach (SafeFileHandle handle in handles) handle.Dispose();
            throw;
        }
    }

    /// <summary>The answer for one sequence at (k, τ), or null when the cache does not hold it.</summary>
    public SequenceTopK? TryRead(ReadOnlySpan<int> ids, int k, float temperature)
    {
        if (!_index.TryGetValue(TeacherCacheKey.TopK(ids, k, temperature), out var entry)) return null;
        byte[] bytes = new byte[entry.Length];
        int read = RandomAccess.Read(_answers[entry.Part], bytes, entry.Offset);
        if (read != bytes.Length) throw new InvalidDataException($"'{Folder}': an answer ends before its length (the file is cut short)");
        TopKResult answer;
        try
        {
            answer = TopKBinaryCodec.DecodeResponse(bytes);
        }
        catch (WireFormatException e)
        {
            throw new InvalidDataException($"'{Folder}': a stored answer is damaged: {e.Message}", e);
        }
        if (answer.Sequences.Count != 1 || answer.K != k || answer.Sequences[0].Length != ids.Length)
            throw new InvalidDataException($"'{Folder}': a stored answer does not fit its key");
        return answer.Sequences[0];
    }

    public GenerateResponse? TryGenerate(GenerateRequest request) =>
        _generated.GetValueOrDefault(TeacherCacheKey.Generate(request).ToString("x32", CultureInfo.InvariantCulture));

    private static void ReadIndex(string path, int part, Dictionary<UInt128, (int, long, int)> index)
    {
        byte[] bytes = File.ReadAllBytes(path);
        int header = TeacherCacheFiles.IndexMagic.Length + 8;
        if (bytes.Length < header || !bytes.AsSpan(0, TeacherCacheFiles.IndexMagic.Length).SequenceEqual(TeacherCacheFiles.IndexMagic))
            throw new InvalidDataException($"{path} is not a teacher cache index");
        long count = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(TeacherCacheFiles.IndexMagic.Length));
        if (count < 0 || header + count * TeacherCacheFiles.IndexEntryBytes != bytes.Length)
            throw new InvalidDataException($"{path} holds {bytes.Length} bytes, not the {count} entries it announces");
        for (long i = 0; i < count; i++)
        {
            ReadOnlySpan<byte> entry = bytes.AsSpan((int)(header + i * TeacherCacheFiles.IndexEntryBytes), TeacherCacheFiles.IndexEntryBytes);
            index[BinaryPrimitives.ReadUInt128LittleEndian(entry)] =
                (part, BinaryPrimitives.ReadInt64LittleEndian(entry[16..]), BinaryPrimitives.ReadInt32LittleEndian(entry[24..]));
        }
    }

    public void Dispose()
    {
        foreach (SafeFileHandle handle in _answers) handle.Dispose();
    }
}
