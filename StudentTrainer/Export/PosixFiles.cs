using System.Runtime.InteropServices;

namespace Distill.StudentTrainer.Export;

/// <summary>
/// The Linux calls .NET lacks for files that must survive a crash: fsync of a file or a folder (a folder's fsync makes
/// its entries, i.e. renames into it, durable), and renameat2's atomic exchange of two paths.
/// </summary>
public static partial class PosixFiles
{
    private const int OpenReadOnlyCloseOnExec = 0x80000;   // O_RDONLY | O_CLOEXEC
    private const int CurrentFolder = -100;                // AT_FDCWD
    private const uint RenameExchange = 2;                 // RENAME_EXCHANGE

    /// <summary>Flushes the data and metadata of the file or folder at <paramref name="path"/> to the disk.</summary>
    public static void Flush(string path)
    {
        int descriptor = Open(path, OpenReadOnlyCloseOnExec);
        if (descriptor < 0) throw Failure("open", path);
        try
        {
            if (Fsync(descriptor) != 0) throw Failure("fsync", path);
        }
        finally
        {
            Close(descriptor);
        }
    }

    /// <summary>Swaps what <paramref name="first"/> and <paramref name="second"/> name, in one atomic step; both must exist.</summary>
    public static void Exchange(string first, string second)
    {
        if (RenameAt2(CurrentFolder, first, CurrentFolder, second, RenameExchange) != 0) throw Failure("renameat2", $"{first}' ⇄ '{second}");
    }

    private static IOException Failure(string call, string path) =>
        new($"{call} '{path}' failed: {Marshal.GetLastPInvokeErrorMessage()}", Marshal.GetLastPInvokeError());

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int descriptor);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int descriptor);

    [LibraryImport("libc", EntryPoint = "renameat2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int RenameAt2(int fromFolder, string from, int toFolder, string to, uint flags);
}
