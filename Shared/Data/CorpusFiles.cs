namespace Distill.Shared.Data;

/// <summary>
/// The files a corpus path names: the path itself when it is a file, else every <c>.txt</c>, <c>.jsonl</c> and
/// <c>.parquet</c> under the folder, recursively, in ordinal order of their paths relative to it ('/'-separated).
/// Files and folders whose names start with '.' are left out.
/// </summary>
public static class CorpusFiles
{
    /// <summary>The extensions a corpus file may have (compared without regard to case).</summary>
    public static readonly IReadOnlyList<string> Extensions = [".txt", ".jsonl", ".parquet"];

    /// <exception cref="ArgumentException">The path is neither a file nor a folder, or a file of another kind.</exception>
    /// <exception cref="InvalidDataException">The folder holds no corpus file.</exception>
    public static IReadOnlyList<string> List(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (File.Exists(path))
        {
            if (!IsCorpusFile(path)) throw new ArgumentException($"--data '{path}' is not a .txt, .jsonl or .parquet file");
            return [path];
        }
        if (!Directory.Exists(path)) throw new ArgumentException($"--data '{path}' is neither a file nor a folder");
        string[] files = Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
            .Select(file => (File: file, Relative: RelativePath(path, file)))
            .Where(f => IsCorpusFile(f.File) && !f.Relative.Split('/').Any(part => part.StartsWith('.')))
            .OrderBy(f => f.Relative, StringComparer.Ordinal)
            .Select(f => f.File)
            .ToArray();
        if (files.Length == 0) throw new InvalidDataException($"corpus folder '{path}' holds no .txt, .jsonl or .parquet file");
        return files;
    }

    /// <summary><paramref name="file"/> relative to <paramref name="root"/>, '/'-separated.</summary>
    public static string RelativePath(string root, string file) =>
        Path.GetRelativePath(root, file).Replace(Path.DirectorySeparatorChar, '/');

    private static bool IsCorpusFile(string file) =>
        Extensions.Contains(Path.GetExtension(file), StringComparer.OrdinalIgnoreCase);
}
