using System.CommandLine;
using System.Text.Json;
using Distill.Shared.Tokenization;

namespace Distill.StudentTrainer.Cli;

/// <summary><c>tokenize</c>: text → token ids as a JSON array, or with <c>--decode</c> ids → text (to try the server with curl).</summary>
public static class TokenizeCommand
{
    public static Command Create()
    {
        Option<string> tokenizer = new("--tokenizer") { Description = "Folder with vocab.json + merges.txt or tokenizer.json (e.g. models/austen-gpt)", Required = true };
        Option<string?> text = new("--text") { Description = "Text to encode" };
        Option<string?> decode = new("--decode") { Description = "A JSON array of token ids to decode, e.g. [40,1110]" };
        var command = new Command("tokenize", "Encode text to token ids, or decode ids to text");
        command.Options.Add(tokenizer);
        command.Options.Add(text);
        command.Options.Add(decode);
        command.SetAction(result =>
        {
            LoadedTokenizer loaded = TokenizerLoader.Load(CliOptions.RequireFolder(result.GetValue(tokenizer)!, "tokenizer"));
            string? toEncode = result.GetValue(text);
            string? toDecode = result.GetValue(decode);
            if ((toEncode is null) == (toDecode is null))
                throw new ArgumentException("give exactly one of --text and --decode");
            if (toEncode is not null)
            {
                Console.WriteLine(JsonSerializer.Serialize(loaded.Encode(toEncode)));
                return 0;
            }
            int[] ids;
            try
            {
                ids = JsonSerializer.Deserialize<int[]>(toDecode!) ?? [];
            }
            catch (JsonException)
            {
                throw new ArgumentException($"--decode takes a JSON array of integers, got '{toDecode}'");
            }
            if (ids.Any(id => id < 0 || id >= loaded.VocabSize))
                throw new ArgumentException($"--decode: every id must be in [0, {loaded.VocabSize})");
            Console.WriteLine(loaded.Decode(ids));
            return 0;
        });
        return command;
    }
}
