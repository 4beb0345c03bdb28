namespace Distill.StudentTrainer.Export;

/// <summary>Makes a folder's tokenizer files those of another folder (run folders, exported model folders).</summary>
public static class TokenizerFileCopy
{
    private static readonly string[] FileNames =
        ["vocab.json", "merges.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"];

    /// <summary>Whether <paramref name="folder"/> holds any tokenizer file.</summary>
    public static bool HoldsTokenizer(string folder) => FileNames.Any(name => File.Exists(Path.Combine(folder, name)));

    /// <summary>
    /// Copies each known tokenizer file atomically and deletes those the source lacks, so a stale
    /// <c>tokenizer.json</c> never shadows new <c>vocab.json</c> + <c>merges.txt</c>.
    /// </summary>
    /// <exception cref="FileNotFoundException">The source holds no tokenizer file.</exception>
    public static void CopyInto(string source, string destination)
    {
        if (!HoldsTokenizer(source))
            throw new FileNotFoundException($"no tokenizer files in '{source}'");
        Directory.CreateDirectory(destination);
        foreach (string name in FileNames)
        {
            string from = Path.Combine(source, name);
            string to = Path.Combine(destination, name);
            if (Path.GetFullPath(from) == Path.GetFullPath(to)) continue;
            if (File.Exists(from)) AtomicFile.Copy(from, to);
            else File.Delete(to);
        }
    }
}
