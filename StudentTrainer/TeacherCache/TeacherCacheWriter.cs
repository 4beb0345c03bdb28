using System.Buffers.Binary;
using System.Text.Json;
using Distill.Shared.Wire;

namespace Distill.StudentTrainer.TeacherCache;

/// <summary>
/// Writes one part of a teacher cache: answers as they come, then the index and, last, the manifest. Files are written
/// under <c>.partial</c> names and renamed when complete, so an interrupted part leaves nothing a reader would take.
/// </summary>
public sealed class TeacherCacheWriter : IDisposable
{
    private readonly string _folder;
    private readonly string _stem;
    private readonly LogprobPrecision _precision;
    private readonly IdWidth _ids;
    private readonly FileStream _answers;
    private readonly StreamWriter _generate;
    private readonly Dictionary<UInt128, (long Offset, int Length)> _index = [];
    private long _positions;
    private bool _completed;

    public TeacherCacheWriter(string folder, int shard, int shards, LogprobPrecision precision, IdWidth ids)
    {
        if (shards < 1 || shard < 0 || shard >= shards) throw new ArgumentException($"shard {shard} of {shards} does not exist");
        Directory.CreateDirectory(folder);
        _folder = folder;
        _stem = TeacherCacheManifest.FileStem(shard, shards);
        _precision = precision;
        _ids = ids;
        _answers = new FileStream(Partial(TeacherCacheFiles.Answers(folder, _stem)), FileMode.Create, FileAccess.Write);
        _answers.Write(TeacherCacheFiles.AnswersMagic);
        _generate = new StreamWriter(Partial(TeacherCacheFiles.Generate(folder, _stem)));
    }

    /// <summary>Stores each sequence's answer under its key (a sequence asked twice is stored once).</summary>
    public void Add(TopKRequest request, TopKResult answer)
    {
        if (request.Start != 0) throw new ArgumentException("a teacher cache holds answers of whole sequences (start 0)");
        if (answer.Sequences.Count != request.Sequences.Length) throw new ArgumentException("the answer does not match the request");
        for (int i = 0; i < request.Sequences.Length; i++)
        {
            UInt128 key = TeacherCacheKey.TopK(request.Sequences[i], request.K, request.Temperature);
            if (_index.ContainsKey(key)) continue;
            byte[] bytes = TopKBinaryCodec.EncodeResponse(new TopKResult(answer.Model, answer.Version, answer.K, [answer.Sequences[i]]), _precision, _ids);
            _index[key] = (_answers.Position, bytes.Length);
            _answers.Write(bytes);
            _positions += answer.Sequences[i].Length;
        }
    }

    public void Add(GenerateRequest request, GenerateResponse response)
    {
        string key = TeacherCacheKey.Generate(request).ToString("x32");
        _generate.WriteLine(JsonSerializer.Serialize(new GenerateEntry(key, response)));
    }

    /// <summary>Writes the index and the manifest (filled with this part's counts) and makes the part visible.</summary>
    public TeacherCacheManifest Complete(TeacherCacheManifest manifest)
    {
        long answerBytes = _answers.Position - TeacherCacheFiles.AnswersMagic.Length;
        _answers.Flush(flushToDisk: true);
        _answers.Dispose();
        _generate.Flush();
        _generate.Dispose();
        WriteIndex(Partial(TeacherCacheFiles.Index(_folder, _stem)));
        manifest = manifest with { Sequences = _index.Count, Positions = _positions, AnswerBytes = answerBytes, Precision = _precision, Ids = _ids };
        foreach (string file in new[] { TeacherCacheFiles.Answers(_folder, _stem), TeacherCacheFiles.Generate(_folder, _stem), TeacherCacheFiles.Index(_folder, _stem) })
            File.Move(Partial(file), file, overwrite: true);
        string manifestPath = TeacherCacheFiles.Manifest(_folder, _stem);
        File.WriteAllBytes(Partial(manifestPath), manifest.ToJson());
        File.Move(Partial(manifestPath), manifestPath, overwrite: true);
        _completed = true;
        return manifest;
    }

    private void WriteIndex(string path)
    {
        var entries = _index.OrderBy(e => e.Key).ToArray();
        byte[] bytes = new byte[TeacherCacheFiles.IndexMagic.Length + 8 + entries.Length * TeacherCacheFiles.IndexEntryBytes];
        TeacherCacheFiles.IndexMagic.CopyTo(bytes);
        int at = TeacherCacheFiles.IndexMagic.Length;
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(at), entries.Length);
        at += 8;
        foreach ((UInt128 key, (long offset, int length)) in entries)
        {
            BinaryPrimitives.WriteUInt128LittleEndian(bytes.AsSpan(at), key);
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(at + 16), offset);
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(at + 24), length);
            at += TeacherCacheFiles.IndexEntryBytes;
        }
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write);
        stream.Write(bytes);
        stream.Flush(flushToDisk: true);
    }

    private static string Partial(string path) => path + ".partial";

    public void Dispose()
    {
        if (_completed) return;
        _answers.Dispose();
        _generate.Dispose();
    }
}

/// <summary>One line of a part's <c>.generate.jsonl</c>: the request's key (hex) and the teacher's answer.</summary>
public sealed record GenerateEntry(
    [property: System.Text.Json.Serialization.JsonPropertyName("key")] string Key,
    [property: System.Text.Json.Serialization.JsonPropertyName("response")] GenerateResponse Response);
