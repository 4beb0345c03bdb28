namespace Distill.StudentTrainer.TeacherCache;

/// <summary>
/// The files of one part of a teacher cache folder: <c>.answers</c> (each sequence's answer in the binary answer
/// encoding of <see cref="Distill.Shared.Wire.TopKBinaryCodec"/>, back to back after an 8-byte header), <c>.index</c>
/// (key → offset and length, sorted by key), <c>.generate.jsonl</c> (generate answers) and the manifest <c>.json</c>.
/// </summary>
public static class TeacherCacheFiles
{
    public static ReadOnlySpan<byte> AnswersMagic => "DKCA0001"u8;
    public static ReadOnlySpan<byte> IndexMagic => "DKCI0001"u8;

    /// <summary>Bytes of one index entry: 16 key, 8 offset, 4 length.</summary>
    public const int IndexEntryBytes = 28;

    public static string Answers(string folder, string stem) => Path.Combine(folder, stem + ".answers");
    public static string Index(string folder, string stem) => Path.Combine(folder, stem + ".index");
    public static string Generate(string folder, string stem) => Path.Combine(folder, stem + ".generate.jsonl");
    public static string Manifest(string folder, string stem) => Path.Combine(folder, stem + ".json");
}
