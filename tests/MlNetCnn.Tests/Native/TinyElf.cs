using System.Buffers.Binary;
using System.Text;

namespace MlNetCnn.Tests.Native;

/// <summary>
/// Builds a small ELF64 little-endian file that holds only what <c>ElfVersionPatcher</c> reads: a dynamic string
/// table, a dynamic symbol table, its symbol-version table and one version-requirement record (libstdc++.so.6) with
/// an auxiliary entry per version. Each symbol is given one of those versions.
/// </summary>
public sealed class TinyElf
{
    private const int HeaderSize = 64;
    private const int SectionHeaderSize = 64;
    private const int SymbolSize = 24;
    private const int VerneedSize = 16;
    private const int VernauxSize = 16;

    /// <summary>The file's bytes.</summary>
    public byte[] Bytes { get; }

    /// <summary>For each version, the offset of its Vernaux entry's flags field (vna_flags).</summary>
    public IReadOnlyDictionary<string, int> FlagsOffset { get; }

    private TinyElf(byte[] bytes, Dictionary<string, int> flagsOffset) => (Bytes, FlagsOffset) = (bytes, flagsOffset);

    /// <summary>An ELF file whose symbols are <paramref name="symbols"/>, each needing the version named beside it.</summary>
    public static TinyElf Build(params (string Symbol, string Version)[] symbols)
    {
        var versions = symbols.Select(s => s.Version).Distinct().ToArray();
        var strings = new MemoryStream();
        strings.WriteByte(0);
        int Add(string s)
        {
            var at = (int)strings.Length;
            strings.Write(Encoding.ASCII.GetBytes(s + "\0"));
            return at;
        }
        var library = Add("libstdc++.so.6");
        var symbolNames = symbols.Select(s => Add(s.Symbol)).ToArray();
        var versionNames = versions.Select(Add).ToArray();
        var dynstr = strings.ToArray();

        // Version index 0 and 1 are "local" and "global"; requirements are numbered from 2.
        var dynsym = new byte[(symbols.Length + 1) * SymbolSize];
        var versym = new byte[(symbols.Length + 1) * 2];
        for (var i = 0; i < symbols.Length; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(dynsym.AsSpan((i + 1) * SymbolSize), (uint)symbolNames[i]);
            dynsym[(i + 1) * SymbolSize + 4] = 0x12; // STB_GLOBAL, STT_FUNC
            BinaryPrimitives.WriteUInt16LittleEndian(versym.AsSpan((i + 1) * 2), (ushort)(2 + Array.IndexOf(versions, symbols[i].Version)));
        }

        var verneed = new byte[VerneedSize + versions.Length * VernauxSize];
        BinaryPrimitives.WriteUInt16LittleEndian(verneed.AsSpan(0), 1);                       // vn_version
        BinaryPrimitives.WriteUInt16LittleEndian(verneed.AsSpan(2), (ushort)versions.Length); // vn_cnt
        BinaryPrimitives.WriteUInt32LittleEndian(verneed.AsSpan(4), (uint)library);           // vn_file
        BinaryPrimitives.WriteUInt32LittleEndian(verneed.AsSpan(8), VerneedSize);              // vn_aux
        for (var v = 0; v < versions.Length; v++)
        {
            var aux = VerneedSize + v * VernauxSize;
            BinaryPrimitives.WriteUInt16LittleEndian(verneed.AsSpan(aux + 6), (ushort)(2 + v));          // vna_other: the index
            BinaryPrimitives.WriteUInt32LittleEndian(verneed.AsSpan(aux + 8), (uint)versionNames[v]);    // vna_name
            BinaryPrimitives.WriteUInt32LittleEndian(verneed.AsSpan(aux + 12), v + 1 < versions.Length ? VernauxSize : 0u); // vna_next
        }

        // Layout: header, the four sections' contents, then the section header table (null section first).
        var contents = new[] { dynstr, dynsym, versym, verneed };
        var offsets = new int[contents.Length];
        var at = HeaderSize;
        for (var i = 0; i < contents.Length; i++)
        {
            offsets[i] = at;
            at += (contents[i].Length + 7) / 8 * 8;
        }
        var sectionTable = at;
        var file = new byte[sectionTable + (contents.Length + 1) * SectionHeaderSize];
        "\u007fELF"u8.CopyTo(file);
        file[4] = 2; // ELFCLASS64
        file[5] = 1; // little-endian
        file[6] = 1; // EV_CURRENT
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(0x10), 3); // ET_DYN
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(0x12), 62); // EM_X86_64
        BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(0x28), (ulong)sectionTable);
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(0x34), HeaderSize);
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(0x3A), SectionHeaderSize);
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(0x3C), (ushort)(contents.Length + 1));
        // Section 1 .dynstr (SHT_STRTAB), 2 .dynsym (SHT_DYNSYM, strings in 1), 3 .gnu.version (versions of 2),
        // 4 .gnu.version_r (strings in 1).
        var types = new uint[] { 3, 11, 0x6fffffff, 0x6ffffffe };
        var links = new uint[] { 0, 1, 2, 1 };
        for (var i = 0; i < contents.Length; i++)
        {
            contents[i].CopyTo(file, offsets[i]);
            var header = file.AsSpan(sectionTable + (i + 1) * SectionHeaderSize);
            BinaryPrimitives.WriteUInt32LittleEndian(header[4..], types[i]);
            BinaryPrimitives.WriteUInt64LittleEndian(header[24..], (ulong)offsets[i]);
            BinaryPrimitives.WriteUInt64LittleEndian(header[32..], (ulong)contents[i].Length);
            BinaryPrimitives.WriteUInt32LittleEndian(header[40..], links[i]);
        }
        var flags = versions.Select((v, i) => (v, offsets[3] + VerneedSize + i * VernauxSize + 4)).ToDictionary(p => p.v, p => p.Item2);
        return new TinyElf(file, flags);
    }
}
