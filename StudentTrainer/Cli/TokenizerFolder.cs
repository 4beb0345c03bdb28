namespace Distill.StudentTrainer.Cli;

/// <summary>Copies a tokenizer's files (whichever of the known names exist) from one folder to another.</summary>
public static class TokenizerFolder
{
    private static readonly string[] FileNames = ["vocab.json", "merges.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"];

    public static void CopyInto(string source, string destination)
    {
        Directory.CreateDirectory(destination);
        int copied = 0;
        foreach (string name in FileNames)
        {
            string from = Path.Combine(source, name);
            if (!File.Exists(from)) continue;
            string to = Path.Combine(destination, name);
            if (Path.GetFullPath(from) != Path.GetFullPath(to)) File.Copy(from, to, overwrite: true);
            copied++;
        }
        if (copied == 0) throw new FileNotFoundException($"no tokenizer files in '{source}'");
    }
}
